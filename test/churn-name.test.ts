/**
 * The churn example's project name: with twins, the functions are `<name>`, `<name>-node` and
 * `<name>-python`, and Lambda refuses function names over 64 characters, so the name stops at 57.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../src/project/cfn-yaml.js';
import { renderProject } from '../src/scaffold/render.js';
import { resolveSpec } from '../src/scaffold/spec.js';
import { CREATE_BIN, runBin, tempDir } from './support/cli.js';

/** Each function's name in the rendered template, with the stack named after the project. */
function functionNames(name: string, twins: boolean): string[] {
  const spec = resolveSpec({ name, example: 'churn', twins: String(twins) });
  const template = parseCfnYaml(renderProject(spec).get('template.yaml')!) as {
    Resources: Record<string, { Type: string; Properties: { FunctionName: unknown } }>;
  };
  return Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::Serverless::Function')
    .map(({ Properties: { FunctionName } }) => {
      if (typeof FunctionName === 'object' && FunctionName !== null && 'Ref' in FunctionName) return name;
      const sub = (FunctionName as { 'Fn::Sub': string })['Fn::Sub'];
      return sub.replace('${AWS::StackName}', name);
    });
}

const validName = (length: number) => fc.stringMatching(new RegExp(`^[a-z][a-z0-9]{${length - 1}}$`));

describe('the churn example name', () => {
  it('accepts 57 characters with twins and refuses 58, naming the suffix and the limit', () => {
    expect(resolveSpec({ name: 'a'.repeat(57), example: 'churn' }).name).toHaveLength(57);
    expect(() => resolveSpec({ name: 'a'.repeat(58), example: 'churn' })).toThrow(
      /must be at most 57 characters with the twins \(the Python twin's function is <name>-python, and Lambda function names stop at 64\)/,
    );
    // Without twins the only function is named <name>: 64 is fine.
    expect(resolveSpec({ name: 'a'.repeat(64), example: 'churn', twins: 'false' }).name).toHaveLength(64);
  });

  it('lets through exactly the names whose every function name fits in 64 characters', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }).chain((length) => validName(length)),
        fc.boolean(),
        (name, twins) => {
          let accepted = true;
          try {
            resolveSpec({ name, example: 'churn', twins: String(twins) });
          } catch {
            accepted = false;
          }
          const fits = (twins ? [name, `${name}-node`, `${name}-python`] : [name]).every((fn) => fn.length <= 64);
          expect(accepted).toBe(fits);
          if (accepted) for (const fn of functionNames(name, twins)) expect(fn.length, fn).toBeLessThanOrEqual(64);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('makes the scaffolder exit 2 with one line and write nothing', async () => {
    const root = await tempDir('cfl-churn-name-');
    const name = 'a'.repeat(58);
    const run = await runBin(CREATE_BIN, [name, '--example', 'churn', '--yes'], root);
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim().split('\n')[0]).toMatch(/must be at most 57 characters with the twins/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(root, name))).toBe(false);
  });
});
