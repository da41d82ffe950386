/**
 * The readers through the built lambda-kit: a project whose samconfig.toml or template.yaml is
 * broken stops every command with one line naming the file, before anything calls AWS. AWS is
 * an HTTP endpoint on 127.0.0.1 that records every request it gets and answers each with a
 * CloudFormation error, so "no AWS call" is a count, not a guess.
 */
import { createServer, type Server } from 'node:http';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderProject } from '../src/scaffold/render.js';
import { resolveSpec } from '../src/scaffold/spec.js';
import { writeProject } from '../src/scaffold/write.js';
import { KIT_BIN, listTree, tempDir, userEnv } from './support/cli.js';

interface Recorded {
  method: string | undefined;
  body: string;
}

let root: string;
let server: Server;
let endpoint: string;
const requests: Recorded[] = [];

beforeAll(async () => {
  root = await tempDir('cfl-readers-cli-');
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      requests.push({ method: request.method, body });
      response.writeHead(400, { 'content-type': 'text/xml' });
      const error = '<Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id recorded does not exist</Message>';
      response.end(`<ErrorResponse><Error>${error}</Error><RequestId>r</RequestId></ErrorResponse>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(root, { recursive: true, force: true });
});

let projects = 0;
/** A generated project (crate `orders`), its samconfig.toml replaced when given. */
async function project(samconfig?: string, edit?: (template: string) => string): Promise<string> {
  const dir = join(root, `p${projects++}`);
  await writeProject(dir, renderProject(resolveSpec({ name: 'orders', trigger: 'sqs', sink: 'dynamodb', arch: 'x86_64' })));
  if (samconfig !== undefined) await writeFile(join(dir, 'samconfig.toml'), samconfig);
  if (edit) await writeFile(join(dir, 'template.yaml'), edit(await readFile(join(dir, 'template.yaml'), 'utf8')));
  return dir;
}

/** Credentials and region in the environment, AWS at the recorder, no ~/.aws of the machine's. */
function awsEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return userEnv({
    HOME: root,
    AWS_CONFIG_FILE: join(root, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(root, 'no-credentials'),
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing-secret',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: endpoint,
    AWS_PROFILE: undefined,
    ...extra,
  });
}

/** The built lambda-kit, as a script runs it (no TTY, stdin closed); one that hangs is killed after 20 s, and fails its test. */
async function kit(args: string[], cwd: string, env = awsEnv()) {
  const before = requests.length;
  const options = { cwd, env, reject: false, stdin: 'ignore', extendEnv: false, timeout: 20_000, killSignal: 'SIGKILL' } as const;
  const run = await execa('node', [KIT_BIN, ...args], options);
  return { ...run, stderrLines: run.stderr.split('\n').filter(Boolean), calls: requests.slice(before) };
}

const BROKEN = 'version = 0.1\n[default.deploy.parameters]\nstack_name = "x-scratch\ncapabilities = "CAPABILITY_IAM"\n';

describe('a samconfig.toml that does not parse stops every command that reads it', () => {
  it('delete --yes deletes nothing: one line with the file and line, and no request reaches AWS', async () => {
    const dir = await project(BROKEN);
    const run = await kit(['delete', '--yes'], dir);
    expect(run.stderrLines).toEqual(['lambda-kit: samconfig.toml:3: unterminated string']);
    expect(run.exitCode).toBe(1);
    expect(run.calls).toEqual([]);
  });

  it.each([
    [['outputs']],
    [['outputs', '--stack-name', 'x-scratch']],
    [['delete', '--yes', '--stack-name', 'x-scratch']],
    [['logs']],
    [['deploy', '--no-build']],
    [['invoke', '--remote']],
    [['doctor']],
    [['build']],
    [['bench', '--remote']],
  ])('lambda-kit %j', async (args) => {
    const dir = await project(BROKEN);
    const run = await kit(args, dir);
    expect(run.stderrLines).toEqual([`lambda-kit: samconfig.toml:3: unterminated string`]);
    expect(run.exitCode).toBe(1);
    expect(run.calls).toEqual([]);
  });

  it('a region that is not one is a line naming the file and key, not "unexpected error"', async () => {
    for (const region of ['eu west 1', 'eu-west-1\\u001b[2J']) {
      const dir = await project(`version = 0.1\n[default.deploy.parameters]\nstack_name = "orders"\nregion = "${region}"\n`);
      const run = await kit(['outputs'], dir);
      expect(run.stderrLines).toHaveLength(1);
      expect(run.stderrLines[0]).toMatch(
        /^lambda-kit: samconfig\.toml: region "eu.west.1(\\u001b\[2J)?" is not an AWS region \(such as eu-west-1\)$/,
      );
      expect(run.exitCode).toBe(1);
      expect(run.calls).toEqual([]);
    }
    const run = await kit(['outputs', '--region', 'eu west 1'], await project());
    expect(run.stderrLines).toEqual(['lambda-kit: --region "eu west 1" is not an AWS region (such as eu-west-1).']);
    expect(run.exitCode).toBe(2);
  });

  it('a stack_name or profile of the wrong type or form is refused, not replaced by the crate name or the environment’s', async () => {
    for (const [value, message] of [
      ['5', 'samconfig.toml: stack_name must be a non-empty string, not 5'],
      [
        '"x scratch"',
        'samconfig.toml: stack_name "x scratch" is not a stack name (a letter, then letters, digits and dashes, at most 128)',
      ],
      ['"orders"\nprofile = "dev\\u0007"', 'samconfig.toml: profile "dev\\u0007" is not a profile name'],
      ['"orders"\nprofile = true', 'samconfig.toml: profile must be a non-empty string, not true'],
    ] as const) {
      const run = await kit(['delete', '--yes'], await project(`version = 0.1\n[default.deploy.parameters]\nstack_name = ${value}\n`));
      expect(run.stderrLines).toEqual([`lambda-kit: ${message}`]);
      expect(run.calls).toEqual([]);
    }
  });
});

describe('a template.yaml lambda-kit cannot use stops doctor, build and deploy with one line', () => {
  it.each([
    ['Architectures: arm64', 'Architectures:\n      - x86_64', 'Architectures: arm64'],
    ['Architectures: [mips]', 'Architectures:\n      - x86_64', 'Architectures: [mips]'],
  ])('%s', async (_, from, to) => {
    const dir = await project(undefined, (text) => {
      expect(text).toContain(from);
      return text.replace(from, to);
    });
    for (const command of ['doctor', 'build', 'deploy']) {
      const run = await kit([command], dir);
      expect(run.stderrLines).toHaveLength(1);
      expect(run.stderrLines[0]).toMatch(
        /^lambda-kit: template\.yaml: AppFunction \(from Globals\): Architectures must be a list of one architecture, \[arm64\] or \[x86_64\], not /,
      );
      expect(run.exitCode).toBe(1);
      expect(run.calls).toEqual([]);
    }
  });
});

describe('a Timeout or an environment value lambda-kit invoke cannot use is one line at read, not NaN or a hang', () => {
  it.each([
    ['!Ref T', 'Timeout is !Ref T, which is not a parameter of the template'],
    ['3000000', 'Timeout must be a whole number of seconds from 1 to 900, not 3000000'],
    ['-5', 'Timeout must be a whole number of seconds from 1 to 900, not -5'],
  ])('Timeout: %s', async (value, message) => {
    const dir = await project(undefined, (text) => text.replace(/Timeout: \d+/, `Timeout: ${value}`));
    const run = await kit(['invoke'], dir);
    expect(run.stderrLines).toEqual([`lambda-kit: template.yaml: AppFunction: ${message}`]);
    expect(run.exitCode).toBe(1);
  });

  it('a NUL in an environment value', async () => {
    const dir = await project(undefined, (text) => text.replace(/^( +)Variables:\n/m, '$1Variables:\n$1  EXTRA: "a\\0b"\n'));
    const started = Date.now();
    const run = await kit(['invoke'], dir);
    expect(run.stderrLines).toEqual([
      'lambda-kit: template.yaml: AppFunction: environment variable EXTRA holds a NUL character, which no environment variable can',
    ]);
    expect(run.exitCode).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('a template.yaml that links to nowhere', () => {
  it('is a project whose template is missing, for doctor and for outputs --stack-name, not "not in a project"', async () => {
    const dir = await project();
    await rm(join(dir, 'template.yaml'));
    await symlink('template.yml', join(dir, 'template.yaml'));
    for (const args of [['doctor'], ['outputs', '--stack-name', 'orders']]) {
      const run = await kit(args, dir);
      expect(run.stderrLines).toEqual(['lambda-kit: template.yaml is a symbolic link to "template.yml", which does not exist']);
      expect(run.exitCode).toBe(1);
      expect(run.calls).toEqual([]);
    }
  });
});

describe('a profile beside access keys in the environment', () => {
  it('is one line of lambda-kit’s saying the profile wins, not the SDK’s nine', async () => {
    const dir = await project('version = 0.1\n[default.deploy.parameters]\nstack_name = "orders"\nprofile = "dev"\n');
    const config = join(root, 'profile-config');
    await writeFile(config, '[profile dev]\nregion = us-east-1\naws_access_key_id = dev-key\naws_secret_access_key = dev-secret\n');
    const run = await kit(['outputs'], dir, awsEnv({ AWS_CONFIG_FILE: config }));
    expect(run.stderr).not.toContain('Multiple credential sources');
    expect(run.stderrLines[0]).toBe(
      "lambda-kit: AWS profile dev and AWS_ACCESS_KEY_ID are both set: the profile's credentials are used, the keys in the environment are not.",
    );
    expect(run.stderrLines).toHaveLength(2);
    expect(run.stderrLines[1]).toMatch(/^lambda-kit: /);
    expect(run.calls.length).toBeGreaterThan(0);
  });
});

describe('lambda-kit against hostile projects (fuzz)', () => {
  const hostile = fc.constantFrom(
    '\0',
    '\u001b[2J',
    '\u0007',
    '\r',
    '\t',
    '"',
    "'",
    '[',
    ']',
    '{',
    '=',
    '#',
    '\\',
    ':',
    '!Foo',
    '!Ref T',
    '&a',
    '*a',
    'é',
  );
  const noise = fc.string({ unit: hostile, maxLength: 12 });
  const samconfig = fc.oneof(
    fc.constant(undefined),
    noise.map((v) => `version = 0.1\n[default.deploy.parameters]\nstack_name = ${v}\n`),
    fc.array(fc.oneof(noise, fc.string({ unit: 'binary', maxLength: 30 })), { maxLength: 5 }).map((lines) => lines.join('\n')),
    fc.integer({ min: 1, max: 200_000 }).map((n) => `[default.deploy.parameters]\nregion = "${'x'.repeat(n)}"\n`),
  );
  const templateEdit = fc.oneof(
    fc.constant((text: string) => text),
    noise.map((v) => (text: string) => text.replace('Architectures:\n      - x86_64', `Architectures: ${v}`)),
    fc
      .oneof(noise, fc.integer().map(String), fc.constantFrom('!Ref T', '3000000', '-5', '.nan', '[1]'))
      .map((v) => (text: string) => text.replace(/Timeout: \d+/, `Timeout: ${v}`)),
    noise.map((v) => (text: string) => `${text}\n  Extra${JSON.stringify(v)}: ${v}\n`),
    fc
      .integer({ min: 10, max: 3000 })
      .map((n) => (text: string) => text.replace('Resources:', `Deep: ${'['.repeat(n)}${']'.repeat(n)}\nResources:`)),
  );
  const command = fc.constantFrom(['doctor'], ['build', '--function', 'NoSuchFunction'], ['outputs'], ['delete', '--yes']);

  it('exits 0, 1 or 2; a failure is one stderr line without a stack trace; no file is left behind', async () => {
    const bin = join(root, 'empty-path');
    await mkdir(bin, { recursive: true });
    await symlink(process.execPath, join(bin, 'node'));
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(samconfig, templateEdit, command, async (config, edit, args) => {
        const dir = await project(config, edit);
        const before = await listTree(dir);
        // No tools on PATH but node: doctor judges quickly, and nothing is built.
        const run = await kit([...args], dir, awsEnv({ PATH: bin }));
        runs++;
        expect([0, 1, 2]).toContain(run.exitCode);
        expect(run.stderr).not.toMatch(/unexpected error|\n\s+at |Error: /);
        if (run.exitCode !== 0 && args[0] !== 'doctor') expect(run.stderrLines).toHaveLength(1);
        if (args[0] === 'doctor' && run.stderrLines.length > 0) expect(run.stderrLines).toHaveLength(1);
        expect(await listTree(dir)).toEqual(before);
        await rm(dir, { recursive: true, force: true });
      }),
      { numRuns: 30 },
    );
    expect(runs).toBe(30);
  }, 180_000);
});
