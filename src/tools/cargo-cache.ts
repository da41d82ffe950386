/**
 * Compiled dependencies shared across projects, by default: wherever lambda-kit runs cargo (dev,
 * build, sam build's cargo lambda), it points cargo's build directory (`build.build-dir`, stable
 * since cargo 1.91) at a slot of a per-user cache through CARGO_BUILD_BUILD_DIR. The final
 * binaries stay in the project's own target/, so everything finds them where it did; a plain
 * `cargo build` by the user is untouched, since nothing is written into the project.
 *
 * Left alone: a user who chose where cargo builds (CARGO_TARGET_DIR, CARGO_BUILD_BUILD_DIR, or
 * target-dir/build-dir in a cargo config, as cargo metadata reports them), and
 * LAMBDA_KIT_CARGO_CACHE=off. A cache that cannot be written is one warning, then cargo's default.
 */
import { mkdir, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { chooseSlot, type CrateOwner } from './cargo-cache-claims.js';
import { runTool, succeeded } from './run-tool.js';

export const CACHE_ENV_VAR = 'LAMBDA_KIT_CARGO_CACHE';

/**
 * Where the shared build directories live: LAMBDA_KIT_CARGO_CACHE, else the platform's cache
 * directory (XDG_CACHE_HOME or ~/.cache, ~/Library/Caches on macOS, LOCALAPPDATA on Windows);
 * undefined when switched off.
 */
export function cargoCacheDir(env: NodeJS.ProcessEnv, platform: string = process.platform, home: string = homedir()): string | undefined {
  const chosen = env[CACHE_ENV_VAR];
  if (chosen !== undefined && chosen !== '')
    return ['off', '0', 'false', 'no'].includes(chosen.toLowerCase()) ? undefined : resolve(chosen);
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'lambda-kit', 'cargo-build');
  if (platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'lambda-kit', 'cargo-build');
  const xdg = env.XDG_CACHE_HOME;
  // The XDG spec: a relative XDG_CACHE_HOME is invalid and ignored.
  return join(xdg?.startsWith('/') ? xdg : join(home, '.cache'), 'lambda-kit', 'cargo-build');
}

interface WorkspaceLayout {
  root: string;
  targetDirectory: string;
  buildDirectory: string | undefined;
  crates: CrateOwner[];
}

/** cargo metadata --no-deps, as far as the cache needs it; undefined if cargo could not say. */
async function workspaceLayout(codeDir: string, env: NodeJS.ProcessEnv): Promise<WorkspaceLayout | undefined> {
  const run = await runTool('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: codeDir, env }).catch(() => undefined);
  const stdout = run && succeeded(run);
  if (!stdout) return undefined;
  try {
    const metadata = JSON.parse(stdout) as {
      workspace_root?: unknown;
      target_directory?: unknown;
      build_directory?: unknown;
      packages?: { name?: unknown; manifest_path?: unknown }[];
    };
    if (typeof metadata.workspace_root !== 'string' || typeof metadata.target_directory !== 'string') return undefined;
    const listed = (metadata.packages ?? []).flatMap((p) =>
      typeof p.name === 'string' && typeof p.manifest_path === 'string' ? [{ name: p.name, dir: resolve(p.manifest_path, '..') }] : [],
    );
    // One folder reached through a symlink is still one owner.
    const crates = await Promise.all(listed.map(async (c) => ({ name: c.name, dir: await realpath(c.dir).catch(() => c.dir) })));
    return {
      root: metadata.workspace_root,
      targetDirectory: metadata.target_directory,
      buildDirectory: typeof metadata.build_directory === 'string' ? metadata.build_directory : undefined,
      crates,
    };
  } catch {
    return undefined;
  }
}

export interface SharedBuild {
  /** Set on top of the environment cargo runs in; empty when cargo is left to its own choice. */
  env: Record<string, string>;
  /** One line for the user, when there is something to say (a slot other than slot-0, a cache that cannot be written). */
  message: string | undefined;
}

const LEAVE_ALONE: SharedBuild = { env: {}, message: undefined };

/** The build directory cargo should use for the project in `codeDir`, claimed, as environment. */
export async function sharedBuildEnvironment(codeDir: string, env: NodeJS.ProcessEnv = process.env): Promise<SharedBuild> {
  const cacheDir = cargoCacheDir(env);
  if (!cacheDir || env.CARGO_TARGET_DIR || env.CARGO_BUILD_TARGET_DIR || env.CARGO_BUILD_BUILD_DIR) return LEAVE_ALONE;
  const layout = await workspaceLayout(codeDir, env);
  // A target-dir or build-dir from a cargo config is the user's choice too.
  if (!layout || layout.targetDirectory !== join(layout.root, 'target')) return LEAVE_ALONE;
  if (layout.buildDirectory !== undefined && layout.buildDirectory !== layout.targetDirectory) return LEAVE_ALONE;
  if (layout.crates.length === 0) return LEAVE_ALONE;
  try {
    await mkdir(cacheDir, { recursive: true });
    const choice = await chooseSlot(cacheDir, layout.crates);
    let message: string | undefined;
    if (choice.slot > 0 && choice.newlyClaimed) {
      const [first] = choice.displacedBy;
      message =
        `${first ? `the crate name ${first.name} is taken in the shared build cache by ${first.owner}` : 'this crate name is taken in the shared build cache'}, ` +
        `so this project builds its dependencies in ${choice.dir} (once); renaming the crate in Cargo.toml would share slot-0's instead`;
    }
    return { env: { CARGO_BUILD_BUILD_DIR: choice.dir }, message };
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return {
      env: {},
      message: `the shared build cache ${cacheDir} is not usable (${reason}), so this project compiles its dependencies in its own target/ (set ${CACHE_ENV_VAR} to another directory, or to off)`,
    };
  }
}
