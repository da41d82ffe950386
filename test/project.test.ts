import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cargoPackageName, loadProject, pickFunction } from '../src/project/project.js';
import { renderProject } from '../src/scaffold/render.js';
import { resolveSpec } from '../src/scaffold/spec.js';
import { writeProject } from '../src/scaffold/write.js';
import { tempDir } from './support/cli.js';

describe('loadProject', () => {
  it('reads a generated project: its one function, with Globals applied', async () => {
    const dir = join(await tempDir(), 'orders');
    const spec = resolveSpec({ name: 'orders', trigger: 'sqs', sink: 'dynamodb', arch: 'arm64', memory: '1024', timeout: '45' });
    await writeProject(dir, renderProject(spec));
    const project = await loadProject(dir);
    expect(project.packageName).toBe('orders');
    expect(project.functions).toHaveLength(1);
    const fn = pickFunction(project, undefined);
    expect(fn).toMatchObject({
      logicalId: 'AppFunction',
      codeDir: dir,
      architecture: 'arm64',
      buildMethod: 'rust-cargolambda',
      runtime: 'provided.al2023',
      handler: 'bootstrap',
      memorySize: 1024,
      timeout: 45,
    });
    expect(fn.environment).toEqual({
      TABLE_NAME: { Ref: 'ResultsTable' },
      DEAD_LETTER_QUEUE_URL: { Ref: 'InputDeadLetterQueue' },
      FUNCTION_TIMEOUT_SECONDS: '45',
    });
  });

  it('refuses a directory without a template, and names a function that is not there', async () => {
    const dir = await tempDir();
    await expect(loadProject(dir)).rejects.toThrow(/no template.yaml in .*: run lambda-kit in a project made by create-fast-lambda/);
    await writeFile(
      join(dir, 'template.yaml'),
      'Resources:\n  A:\n    Type: AWS::Serverless::Function\n  B:\n    Type: AWS::Lambda::Function\n',
    );
    const project = await loadProject(dir);
    expect(() => pickFunction(project, undefined)).toThrow(/has 2 functions: pick one with --function \(A, B\)/);
    expect(() => pickFunction(project, 'C')).toThrow(/no function C in template.yaml; it has A, B/);
    expect(pickFunction(project, 'B').architecture).toBe('x86_64');
  });

  it('reports invalid YAML in one line', async () => {
    const dir = await tempDir();
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'template.yaml'), 'Resources: [\n');
    await expect(loadProject(dir)).rejects.toThrow(/^template.yaml:2: not valid YAML: /);
  });

  it('reads the package name from Cargo.toml only', () => {
    expect(cargoPackageName('[package]\nname = "a-b"\nversion = "0.1.0"\n[dependencies]\nname = "x"\n')).toBe('a-b');
    expect(cargoPackageName('[workspace]\nmembers = []\n')).toBeUndefined();
  });
});
