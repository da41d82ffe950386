/**
 * create-fast-lambda --example churn: the spec it resolves to, the files it writes, and its
 * template.yaml, linted by cfn-lint and expanded by the SAM transform (the IAM each function
 * gets, the twins' idle stream mappings).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { renderProject, TWIN_DIRS } from '../src/scaffold/render.js';
import { missingFlags, resolveSpec, type ProjectSpec } from '../src/scaffold/spec.js';
import { parseCfnYaml } from '../src/project/cfn-yaml.js';
import { functionsOf, pickFunction, type Project } from '../src/project/project.js';
import { CREATE_BIN, KIT_BIN, ROOT, runBin, tempDir } from './support/cli.js';
import { IN_CI, pythonTools } from './support/tools.js';

const churn = (extra: Record<string, string> = {}) => resolveSpec({ name: 'churn-demo', example: 'churn', ...extra });
const SPECS: ProjectSpec[] = [churn(), churn({ arch: 'x86_64', memory: '1024' }), churn({ twins: 'false' })];
const label = (spec: ProjectSpec) => `${spec.arch}${spec.twins ? ', with twins' : ', no twins'}`;

describe('the churn example spec', () => {
  it('fixes the trigger and sink, and has twins unless told otherwise', () => {
    expect(churn()).toMatchObject({ example: 'churn', twins: true, trigger: 'kinesis', sink: 'sqs', api: 'none', timeout: 30 });
    expect(churn({ twins: 'false' }).twins).toBe(false);
    expect(churn({ trigger: 'kinesis', sink: 'sqs' }).trigger).toBe('kinesis');
  });

  it('refuses a trigger or sink of its own, twins without an example, an unknown example', () => {
    expect(() => churn({ trigger: 'sqs' })).toThrow('--example churn is a Kinesis → SQS application; drop --trigger sqs.');
    expect(() => churn({ sink: 'dynamodb' })).toThrow('drop --sink dynamodb');
    expect(() => churn({ api: 'http' })).toThrow(/--api applies only to the API trigger/);
    expect(() => resolveSpec({ name: 'a', twins: 'true' })).toThrow(/--twins applies only with --example/);
    expect(() => resolveSpec({ name: 'a', example: 'fraud' })).toThrow('Invalid --example "fraud": choose churn.');
  });

  it('asks a run without a terminal only for what the example leaves open', () => {
    expect(missingFlags({ example: 'churn', name: 'a' })).toEqual(['--arch', '--memory', '--timeout']);
  });
});

describe.each(SPECS.map((spec) => [label(spec), spec] as const))('the churn example (%s)', (_label, spec) => {
  const files = renderProject(spec);

  it('writes the Rust crate, the model and, with twins, the Node.js and Python functions', () => {
    for (const path of [
      'Cargo.toml',
      'src/main.rs',
      'src/model.rs',
      'src/handler.rs',
      'src/publish.rs',
      'model.json',
      'events/kinesis.json',
      'template.yaml',
      'samconfig.toml',
      'README.md',
      'package.json',
      '.gitignore',
    ]) {
      expect(files.has(path), path).toBe(true);
    }
    const twinFiles = [...files.keys()].filter((path) => path.startsWith('twins/'));
    if (spec.twins) {
      expect(twinFiles).toEqual(
        expect.arrayContaining([
          'twins/node/index.mjs',
          'twins/node/package.json',
          'twins/node/model.json',
          'twins/python/app.py',
          'twins/python/requirements.txt',
          'twins/python/model.json',
        ]),
      );
      for (const dir of TWIN_DIRS) expect(files.get(`${dir}/model.json`)).toBe(files.get('model.json'));
    } else {
      expect(twinFiles).toEqual([]);
    }
    for (const [path, contents] of files) expect(contents, path).not.toMatch(/\{\{/);
    expect([...files.keys()].some((path) => /__pycache__|node_modules|\.pyc$/.test(path))).toBe(false);
  });

  it('ships the model the repository trains, and a README quoting its held-out figures', () => {
    const shipped = readFileSync(join(ROOT, 'templates/example/churn/model.json'), 'utf8');
    expect(files.get('model.json')).toBe(shipped);
    const { accuracy, auc } = JSON.parse(shipped).training as { accuracy: number; auc: number };
    const readme = files.get('README.md')!;
    expect(readme).toContain(`accuracy ${accuracy}`);
    expect(readme).toContain(`ROC AUC ${auc}`);
    expect(readme.includes('twins/node')).toBe(spec.twins);
  });

  it('gives lambda-kit the Rust function by default and each twin its own runtime', () => {
    const template = parseCfnYaml(files.get('template.yaml')!) as Record<string, any>;
    const functions = functionsOf(template, '/project');
    const byId = Object.fromEntries(functions.map((fn) => [fn.logicalId, fn]));
    expect(byId.AppFunction).toMatchObject({
      runtime: 'provided.al2023',
      handler: 'bootstrap',
      buildMethod: 'rust-cargolambda',
      architecture: spec.arch,
      memorySize: spec.memory,
      codeDir: '/project',
    });
    if (spec.twins) {
      expect(byId.NodeTwinFunction).toMatchObject({
        runtime: 'nodejs22.x',
        handler: 'index.handler',
        codeDir: '/project/twins/node',
        architecture: spec.arch,
        memorySize: spec.memory,
      });
      expect(byId.PythonTwinFunction).toMatchObject({
        runtime: 'python3.13',
        handler: 'app.handler',
        codeDir: '/project/twins/python',
        architecture: spec.arch,
      });
    }
    expect(functions).toHaveLength(spec.twins ? 3 : 1);
    const project = { functions } as Project;
    expect(pickFunction(project, undefined).logicalId).toBe('AppFunction');
    for (const fn of functions) expect(fn.environment).toEqual({ QUEUE_URL: { Ref: 'ResultsQueue' } });
  });

  it('lets the scaffolder describe it and say what to run next', async () => {
    const { describeSpec, nextSteps } = await import('../src/cli/create-messages.js');
    expect(describeSpec(spec)).toBe(
      `churn prediction (Kinesis → SQS${spec.twins ? ', with Node.js and Python twins' : ''}), ${spec.arch}, ${spec.memory} MB, 30 s`,
    );
    expect(nextSteps(spec, process.cwd()).includes('lambda-kit bench --local')).toBe(spec.twins);
  });
});

describe('lambda-kit in a churn project', () => {
  it('says a twin does not run locally, naming its runtime and where it does run', async () => {
    const root = await tempDir('cfl-churn-kit-');
    try {
      await execa(process.execPath, [CREATE_BIN, 'churn', '--example', 'churn', '--yes'], { cwd: root, stdin: 'ignore' });
      const run = await runBin(KIT_BIN, ['invoke', '--function', 'NodeTwinFunction'], join(root, 'churn'));
      expect(run.exitCode).toBe(1);
      expect(run.stderr.trim()).toBe(
        'lambda-kit: lambda-kit invoke runs Rust functions locally, and NodeTwinFunction is nodejs22.x. Invoke the deployed one with --remote, or measure it beside the Rust one with lambda-kit bench.',
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('bundles the Node.js twin with sam build (esbuild): one index.mjs holding the model and the SDK, that runs', {
    timeout: 300_000,
  }, async (ctx) => {
    const bin = toolsOrSkip(ctx);
    if (!bin) return;
    const root = await tempDir('cfl-churn-sam-');
    try {
      await execa(process.execPath, [CREATE_BIN, 'churn', '--example', 'churn', '--yes'], { cwd: root, stdin: 'ignore' });
      const dir = join(root, 'churn');
      // sam's esbuild build method finds esbuild on the PATH: this repository's, as a user's global one.
      const build = await execa(join(bin, 'sam'), ['build', 'NodeTwinFunction'], {
        cwd: dir,
        env: { ...process.env, PATH: `${bin}:${join(ROOT, 'node_modules/.bin')}:${process.env.PATH}`, SAM_CLI_TELEMETRY: '0' },
        reject: false,
        all: true,
        stdin: 'ignore',
      });
      expect(build.exitCode, build.all).toBe(0);
      const built = join(dir, '.aws-sam/build/NodeTwinFunction');
      expect(readdirSync(built).sort()).toEqual(['index.mjs']);
      const bundle = readFileSync(join(built, 'index.mjs'), 'utf8');
      // Minified (no comments, local names shortened), with the model inlined (its version is in every message).
      expect(bundle).not.toContain('Init once');
      expect(bundle).not.toContain('function predictionMessage');
      expect(bundle).toContain(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).version);
      // The bundle alone, without node_modules, loads the SDK and answers an empty batch.
      const run = await execa(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const { handler } = await import(${JSON.stringify(join(built, 'index.mjs'))}); console.log(JSON.stringify(await handler({ Records: [] })));`,
        ],
        {
          cwd: root,
          // The SDK warns on this machine's Node 20 (Lambda runs 22): not what is checked here.
          env: {
            PATH: process.env.PATH ?? '',
            QUEUE_URL: 'http://127.0.0.1:9/queue',
            AWS_REGION: 'us-east-1',
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          },
          extendEnv: false,
          reject: false,
        },
      );
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe('{"batchItemFailures":[]}');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// cfn-lint and the SAM transform

const workDir = mkdtempSync(join(tmpdir(), 'cfl-churn-template-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function toolsOrSkip(ctx: { skip: (note?: string) => void }): string | undefined {
  const tools = pythonTools();
  if ('bin' in tools) return tools.bin;
  if (IN_CI) throw new Error(`cfn-lint and the SAM translator are required in CI: ${tools.problem}`);
  ctx.skip(`Python tools unavailable: ${tools.problem}`);
  return undefined;
}

const paths = SPECS.map((spec, i) => {
  const path = join(workDir, `churn-${i}.yaml`);
  writeFileSync(path, renderProject(spec).get('template.yaml')!);
  return path;
});

describe('the churn example template.yaml', () => {
  it('is clean under cfn-lint, informational rules included', { timeout: 300_000 }, async (ctx) => {
    const bin = toolsOrSkip(ctx);
    if (!bin) return;
    const lint = await execa(join(bin, 'cfn-lint'), ['--format', 'parseable', '--include-checks', 'I', '--', ...paths], {
      reject: false,
      stdin: 'ignore',
    });
    expect({ status: lint.exitCode, stdout: lint.stdout, stderr: lint.stderr }).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('expands to least-privilege roles and idle stream mappings for the twins', { timeout: 300_000 }, async (ctx) => {
    const bin = toolsOrSkip(ctx);
    if (!bin) return;
    const run = await execa(join(bin, 'python'), [join(ROOT, 'test/support/sam-transform.py'), ...paths], {
      reject: false,
      stdin: 'ignore',
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const expanded = JSON.parse(run.stdout) as Record<string, { Resources: Record<string, any>; error?: string }>;
    SPECS.forEach((spec, i) => {
      const cfn = expanded[paths[i]!]!;
      expect(cfn.error, label(spec)).toBeUndefined();
      const resources = cfn.Resources;
      const ids = spec.twins ? ['AppFunction', 'NodeTwinFunction', 'PythonTwinFunction'] : ['AppFunction'];
      expect(
        Object.keys(resources)
          .filter((id) => resources[id].Type === 'AWS::Lambda::Function')
          .sort(),
      ).toEqual([...ids].sort());
      for (const id of ids) {
        // The template's own role (churn-ops.test.ts pins its statements), not SAM's with AWS managed policies.
        const role = resources[`${id}Role`].Properties;
        expect(role.ManagedPolicyArns, id).toBeUndefined();
        // Each function may send to the results queue and the dead-letter queue.
        const statements = role.Policies.flatMap((policy: any) => policy.PolicyDocument.Statement);
        const grants = statements.map((s: any) => ({ action: [s.Action].flat().join(','), resource: JSON.stringify(s.Resource) }));
        expect(grants, id).toEqual(
          expect.arrayContaining([
            { action: 'sqs:SendMessage', resource: JSON.stringify({ 'Fn::GetAtt': ['ResultsQueue', 'Arn'] }) },
            { action: 'sqs:SendMessage', resource: JSON.stringify({ 'Fn::GetAtt': ['InputDeadLetterQueue', 'Arn'] }) },
          ]),
        );
        const mapping = resources[`${id}StreamRecords`].Properties;
        expect(mapping).toMatchObject({
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          BisectBatchOnFunctionError: true,
          MaximumRetryAttempts: 3,
        });
        if (id === 'AppFunction') expect(mapping.Enabled).toBeUndefined();
        else expect(mapping.Enabled).toEqual({ 'Fn::If': ['TwinsOnStream', true, false] });
      }
    });
  });
});
