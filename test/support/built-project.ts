/**
 * Generated projects built once and shared: by every test file that asks for the same project,
 * and by later runs of the suite. A debug build of a generated crate costs a minute or more on 2
 * cores even with the SDK crates compiled, so two files that need the same function share one.
 *
 * A project lives at .cache/test-projects/<name>-<hash>, where the hash is of what the binary is
 * built from (Cargo.toml and src/, as the real scaffolder writes them for these flags), and the
 * crate is named the same way: a change to the code makes a new project (and a new crate, so
 * builds from other checkouts sharing the target directory never overwrite its binary), while a
 * change to its README or template.yaml only refreshes those files. It is written whole into a
 * temporary directory and renamed into place, so a reader sees all of it or none; cargo's lock
 * on the target directory serialises concurrent builds, and a build of an unchanged project is a
 * no-op.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { hostArchitecture } from '../../src/project/binary.js';
import { CREATE_BIN, listTree, ROOT } from './cli.js';
import { CARGO_ENV } from './tools.js';

const PROJECTS = join(ROOT, '.cache', 'test-projects');

async function generate(parent: string, name: string, flags: string[]): Promise<string> {
  const dir = await mkdtemp(join(parent, `.${name}-`));
  await execa(process.execPath, [CREATE_BIN, join(dir, 'project'), '--name', name, ...flags, '--yes'], { stdin: 'ignore' });
  return join(dir, 'project');
}

/** What cargo builds the binary from; the rest (README, template.yaml, events) changes no build. */
const isBuildInput = (file: string) => file === 'Cargo.toml' || file.startsWith('src/');

async function hashOf(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const file of (await listTree(dir)).filter(isBuildInput))
    hash
      .update(`${file}\0`)
      .update(await readFile(join(dir, file)))
      .update('\0');
  return hash.digest('hex').slice(0, 10);
}

/** Brings the files that are no build input up to date with a fresh generation, each replaced whole. */
async function refresh(dir: string, fresh: string): Promise<void> {
  for (const file of (await listTree(fresh)).filter((f) => !isBuildInput(f))) {
    const content = await readFile(join(fresh, file));
    const current = await readFile(join(dir, file)).catch(() => undefined);
    if (current?.equals(content)) continue;
    await mkdir(join(dir, file, '..'), { recursive: true });
    await rename(join(fresh, file), join(dir, file));
  }
}

/**
 * The directory of a project made as `create-fast-lambda --name <name>-<hash> <flags> --yes`
 * makes it (for this machine's architecture unless `flags` name one), built with
 * `cargo lambda build` (debug). `venvBin` holds cargo-lambda and zig.
 */
export async function builtProject(name: string, flags: string[], venvBin: string): Promise<string> {
  await mkdir(PROJECTS, { recursive: true });
  const arch = flags.includes('--arch') ? [] : ['--arch', hostArchitecture() ?? 'x86_64'];
  // The hash of the files with a name of no consequence; the crate then takes the hash too.
  const probe = await generate(PROJECTS, name, [...flags, ...arch]);
  const hash = await hashOf(probe);
  await rm(join(probe, '..'), { recursive: true, force: true });
  const crate = `${name}-${hash}`;
  const dir = join(PROJECTS, crate);
  const staged = await generate(PROJECTS, crate, [...flags, ...arch]);
  try {
    if (existsSync(dir)) await refresh(dir, staged);
    else
      await rename(staged, dir).catch((error: unknown) => {
        // Another file's run put it there first: theirs is the same.
        if (!existsSync(dir)) throw error;
      });
  } finally {
    await rm(join(staged, '..'), { recursive: true, force: true });
  }
  const env = { ...process.env, ...CARGO_ENV, PATH: `${venvBin}:${process.env.PATH}`, NO_COLOR: '1' };
  const archName = flags.includes('--arch') ? flags[flags.indexOf('--arch') + 1] : arch[1];
  const target = archName === 'arm64' ? '--arm64' : '--x86-64';
  const build = await execa('cargo', ['lambda', 'build', target], { cwd: dir, env, reject: false, all: true, stdin: 'ignore' });
  if (build.exitCode !== 0) throw new Error(`cargo lambda build failed in ${dir}:\n${build.all}`);
  return dir;
}
