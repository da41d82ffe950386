/**
 * Where `cargo lambda build` left the binary, read from `cargo metadata` run for real: a cargo
 * that prints something other than its JSON is one line, not "unexpected error".
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import type { LambdaFunction } from '../src/project/project.js';
import { cargoLambdaArtifacts } from '../src/tools/build.js';
import { tempDir } from './support/cli.js';

/** A directory holding only a `cargo` that prints `stdout` and exits 0. */
async function fakeCargo(stdout: string): Promise<string> {
  const bin = join(await tempDir('cfl-cargo-'), 'bin');
  await mkdir(bin);
  await writeFile(join(bin, 'stdout.txt'), stdout);
  await writeFile(join(bin, 'cargo'), `#!/bin/sh\ncat "${join(bin, 'stdout.txt')}"\n`);
  await chmod(join(bin, 'cargo'), 0o755);
  return bin;
}

const fn = (codeDir: string) => ({ logicalId: 'AppFunction', codeDir, architecture: 'x86_64' }) as LambdaFunction;

describe('cargoLambdaArtifacts', () => {
  it.each(['warning: not JSON at all', '{"target_directory": 5}', 'null', '{"target_directory": "/t", "packages": [{"targets": 1}]}'])(
    'a cargo metadata that prints %j is one line',
    async (stdout) => {
      const dir = await tempDir('cfl-crate-');
      const error = await cargoLambdaArtifacts(fn(dir), { PATH: `${await fakeCargo(stdout)}:/usr/bin:/bin` }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).message).toBe(
        `cargo metadata in ${dir} printed something other than its JSON, so the built binary cannot be located.`,
      );
    },
  );

  it('finds each bin target under <target dir>/lambda/<bin>/bootstrap', async () => {
    const dir = await tempDir('cfl-crate-');
    const targets = [
      { name: 'orders', kind: ['bin'] },
      { name: 'lib', kind: ['lib'] },
    ];
    const metadata = { target_directory: '/t', packages: [{ manifest_path: join(dir, 'Cargo.toml'), targets }] };
    const paths = await cargoLambdaArtifacts(fn(dir), { PATH: `${await fakeCargo(JSON.stringify(metadata))}:/usr/bin:/bin` });
    expect(paths).toEqual(['/t/lambda/orders/bootstrap']);
  });
});
