/**
 * The package as npm ships it: pack the tarball, install it into an empty project, and run its
 * bin there. Catches a template, dotfile or dist file that `files` forgets.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ROOT, listTree, tempDir, userEnv } from './support/cli.js';

describe('the packed package', () => {
  it('installs from its tarball and creates a complete project', { timeout: 180_000 }, async () => {
    const work = await tempDir('cfl-pack-');
    // dist/ is built by `npm test` before the suites run; don't rebuild it under other tests.
    const pack = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT });
    const [{ filename, files }] = JSON.parse(pack.stdout) as [{ filename: string; files: { path: string }[] }];
    const shipped = files.map((f) => f.path);
    expect(shipped).toContain('templates/shared/_gitignore');
    expect(shipped).toContain('dist/cli/create.js');
    // lambda-kit bench runs the twins with these, and checks against the shipped model.
    expect(shipped).toEqual(
      expect.arrayContaining([
        'dist/bench/runtimes/node-runtime.js',
        'dist/bench/runtimes/python_runtime.py',
        'templates/example/churn/model.json',
      ]),
    );
    expect(shipped.filter((p) => /__pycache__|node_modules/.test(p))).toEqual([]);
    expect(shipped.filter((p) => p.startsWith('test/') || p.startsWith('src/'))).toEqual([]);

    const app = join(work, 'app');
    await execa('mkdir', [app]);
    await execa('npm', ['init', '-y'], { cwd: app });
    await execa('npm', ['install', '--no-audit', '--no-fund', join(work, filename)], { cwd: app });

    const run = await execa('npx', ['--no', 'create-fast-lambda', 'my-fn', '--trigger', 'sqs', '--yes'], {
      cwd: app,
      env: userEnv(),
      stdin: 'ignore',
    });
    expect(run.stdout).toContain('Created my-fn in ./my-fn');
    const created = await listTree(join(app, 'my-fn'));
    expect(created).toEqual(expect.arrayContaining(['.gitignore', 'Cargo.toml', 'src/main.rs', 'template.yaml', 'events/sqs.json']));
    expect(await readFile(join(app, 'my-fn/.gitignore'), 'utf8')).toContain('/target');

    const churn = await execa('npx', ['--no', 'create-fast-lambda', 'churn', '--example', 'churn', '--yes'], {
      cwd: app,
      env: userEnv(),
      stdin: 'ignore',
    });
    expect(churn.stdout).toContain('with Node.js and Python twins');
    expect(await listTree(join(app, 'churn'))).toEqual(
      expect.arrayContaining(['model.json', 'src/model.rs', 'twins/node/index.mjs', 'twins/node/model.json', 'twins/python/app.py']),
    );

    const kit = await execa('npx', ['--no', 'lambda-kit', '--version'], { cwd: app });
    expect(kit.stdout).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
