/**
 * Where a function's built binary is, for running it on this machine. The build tools put it in
 * different places, and only a binary for this machine's CPU runs here, so the newest runnable
 * one wins:
 *
 * - `cargo lambda build` (and `lambda-kit build --no-sam`): <target>/lambda/<package>/bootstrap
 * - `sam build`: .aws-sam/build/<LogicalId>/bootstrap
 * - `cargo build [--release]`: <target>/debug|release/<package>, always for this machine
 *
 * <target> is CARGO_TARGET_DIR when set, as cargo reads it, else the crate's target/.
 */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { cargoPackageName, type Architecture, type LambdaFunction, type Project } from './project.js';

export interface FunctionBinary {
  path: string;
  /** Which build produced it, for the user: `cargo lambda build`, `sam build`, `cargo build`. */
  builtBy: string;
  modifiedMs: number;
  /** A source file newer than the binary, if any: the binary may be stale. */
  newerSource: string | undefined;
}

/** The architecture an executable's header says it is for; undefined if it is not ELF. */
export function elfArchitecture(header: Uint8Array): Architecture | 'other' | undefined {
  if (header.length < 20 || header[0] !== 0x7f || header[1] !== 0x45 || header[2] !== 0x4c || header[3] !== 0x46) return undefined;
  const littleEndian = header[5] === 1;
  const machine = littleEndian ? header[18]! | (header[19]! << 8) : (header[18]! << 8) | header[19]!;
  if (machine === 0x3e) return 'x86_64';
  if (machine === 0xb7) return 'arm64';
  return 'other';
}

/** This machine as a Lambda architecture, or undefined for one Lambda has not. */
export function hostArchitecture(arch: string = process.arch): Architecture | undefined {
  return arch === 'x64' ? 'x86_64' : arch === 'arm64' ? 'arm64' : undefined;
}

interface Candidate {
  path: string;
  builtBy: string;
  /** A cargo build for the host: runs here whatever format it is. */
  native: boolean;
}

export function binaryCandidates(project: Project, fn: LambdaFunction, packageName: string, env: NodeJS.ProcessEnv): Candidate[] {
  const target = env.CARGO_TARGET_DIR ? resolve(fn.codeDir, env.CARGO_TARGET_DIR) : join(fn.codeDir, 'target');
  return [
    { path: join(target, 'lambda', packageName, 'bootstrap'), builtBy: 'cargo lambda build', native: false },
    { path: join(project.dir, '.aws-sam', 'build', fn.logicalId, 'bootstrap'), builtBy: 'sam build', native: false },
    { path: join(target, 'debug', packageName), builtBy: 'cargo build', native: true },
    { path: join(target, 'release', packageName), builtBy: 'cargo build --release', native: true },
  ];
}

/** The command that builds a binary this machine can run. */
export function buildCommandFor(fn: LambdaFunction, platform: string = process.platform, host = hostArchitecture()): string {
  return platform === 'linux' && host === fn.architecture ? 'lambda-kit build --no-sam' : 'cargo build';
}

/** The newest binary of `fn` that runs on this machine; a UserError saying how to build one otherwise. */
export async function findFunctionBinary(
  project: Project,
  fn: LambdaFunction,
  env: NodeJS.ProcessEnv = process.env,
): Promise<FunctionBinary> {
  const packageName = await packageOf(project, fn);
  const host = hostArchitecture();
  const found: (Candidate & { modifiedMs: number; arch: Architecture | 'other' | undefined })[] = [];
  for (const candidate of binaryCandidates(project, fn, packageName, env)) {
    const info = await stat(candidate.path).catch(() => undefined);
    if (!info?.isFile()) continue;
    found.push({ ...candidate, modifiedMs: info.mtimeMs, arch: elfArchitecture(await readHeader(candidate.path)) });
  }
  const runnable = found
    .filter((c) => c.native || (process.platform === 'linux' && c.arch === host))
    .sort((a, b) => b.modifiedMs - a.modifiedMs);
  const show = (path: string) => relative(process.cwd(), path) || path;
  const best = runnable[0];
  if (!best) {
    const foreign = found[0];
    const command = buildCommandFor(fn);
    if (foreign) {
      const what = foreign.arch === undefined || foreign.arch === 'other' ? 'not for this machine' : `built for ${foreign.arch}`;
      throw new UserError(`${show(foreign.path)} is ${what}, and this machine runs ${host ?? process.arch} on ${process.platform}`, {
        hint: `Build one that runs here with \`${command}\`, then invoke again.`,
      });
    }
    throw new UserError(`${fn.logicalId} is not built yet (no ${show(binaryCandidates(project, fn, packageName, env)[0]!.path)})`, {
      hint: `Build it with \`${command}\`, then invoke again.`,
    });
  }
  return {
    path: best.path,
    builtBy: best.builtBy,
    modifiedMs: best.modifiedMs,
    newerSource: await newestSourceAfter(fn.codeDir, best.modifiedMs),
  };
}

async function packageOf(project: Project, fn: LambdaFunction): Promise<string> {
  const name =
    fn.codeDir === project.dir
      ? project.packageName
      : cargoPackageName(await readFile(join(fn.codeDir, 'Cargo.toml'), 'utf8').catch(() => ''));
  if (!name)
    throw new UserError(
      `no Cargo package in ${relative(process.cwd(), fn.codeDir) || '.'}: ${fn.logicalId} is not a Rust function lambda-kit can run`,
    );
  return name;
}

async function readHeader(path: string): Promise<Uint8Array> {
  const file = await open(path, 'r');
  try {
    const buffer = new Uint8Array(20);
    const { bytesRead } = await file.read(buffer, 0, 20, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/** The first source file (Cargo.toml, Cargo.lock, src/**) modified after `since`, if any. */
async function newestSourceAfter(codeDir: string, since: number): Promise<string | undefined> {
  const files = ['Cargo.toml', 'Cargo.lock'].map((f) => join(codeDir, f));
  const src = await readdir(join(codeDir, 'src'), { recursive: true, withFileTypes: true }).catch(() => []);
  files.push(...src.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)));
  for (const file of files) {
    const info = await stat(file).catch(() => undefined);
    if (info && info.mtimeMs > since + 1) return relative(codeDir, file);
  }
  return undefined;
}
