/**
 * The type-check and Biome, run inside `npm test` so that CI's totals count them: a type error in
 * src/ or test/, a lint finding or an unformatted file is a failed test here, with the tools' own
 * output as its message. The same configs are also run over a scratch copy holding one bad test
 * file, so a config that silently stops covering test/ fails too.
 */
import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './support/cli.js';

const BIN = join(ROOT, 'node_modules/.bin');
const CONFIGS = ['tsconfig.json', 'tsconfig.test.json', 'biome.jsonc', '.gitignore'];

/** Exit code and everything printed, so that a failure shows what the tool said. */
async function run(command: string, args: string[], cwd: string) {
  const result = await execa(join(BIN, command), args, { cwd, reject: false, all: true, stdin: 'ignore', env: { NO_COLOR: '1' } });
  return { exitCode: result.exitCode, output: result.all.trim() };
}

const typeCheck = (dir: string) => run('tsc', ['-p', 'tsconfig.test.json', '--pretty', 'false'], dir);
const biomeCi = (dir: string) => run('biome', ['ci', '--colors=off', '.'], dir);

// tsc takes about 10 s on its own, but minutes beside the suites' cargo builds on two cores.
describe('code quality', { timeout: 300_000 }, () => {
  it('src/ and test/ type-check', async () => {
    expect(await typeCheck(ROOT)).toEqual({ exitCode: 0, output: '' });
  });

  it('is formatted and lint-clean (biome ci)', async () => {
    const result = await biomeCi(ROOT);
    expect(result.exitCode, result.output).toBe(0);
  });

  it('fails on a badly typed, badly formatted test file under the same configs', async () => {
    const copy = await tempDir('cfl-quality-');
    for (const config of CONFIGS) await copyFile(join(ROOT, config), join(copy, config));
    await symlink(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    // Biome reads .gitignore through git, as it does in the repository.
    await execa('git', ['init', '-q'], { cwd: copy });
    await mkdir(join(copy, 'test'));
    await writeFile(join(copy, 'test/bad.test.ts'), 'export const count: number = "three"\nexport const same = (a: number) => a == 3;\n');

    const types = await typeCheck(copy);
    expect(types.exitCode).not.toBe(0);
    expect(types.output).toContain("test/bad.test.ts(1,14): error TS2322: Type 'string' is not assignable to type 'number'.");

    const biome = await biomeCi(copy);
    expect(biome.exitCode).not.toBe(0);
    expect(biome.output).toContain('lint/suspicious/noDoubleEquals');
    expect(biome.output).toMatch(/test\/bad\.test\.ts format/);
  });
});
