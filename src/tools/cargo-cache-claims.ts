/**
 * Slots of the shared cargo build directory, and who owns a crate name in each.
 *
 * cargo names a workspace member's compiled units by its package id relative to the workspace
 * root, so two projects whose crates share a name hash alike, and freshness is by mtime: in one
 * build directory the second project would be judged fresh and run the first one's code. So a
 * slot (`slot-0`, `slot-1`, …) holds a claim per crate name, `claims/<name>`, whose first line is
 * the directory of the crate that owns the name there. A project builds in the lowest slot where
 * its names are free or its own; every other project shares slot-0's compiled dependencies.
 *
 * Claims are created exclusively (a complete temp file hard-linked into place: link fails if the
 * name exists), never read-then-written. A claim is dead once its directory no longer holds a
 * Cargo.toml of that package name (the project moved or was deleted); taking one over happens
 * under an exclusive `<name>.takeover` marker, removes the crate's units from the slot first, and
 * renames the marker over the claim in one step. Any new owner starts from no units of its name,
 * so its code is always compiled, never inherited.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { cargoPackageName } from '../project/project.js';

/** More slots than that means something is wrong (claims that never die); the caller falls back. */
export const MAX_SLOTS = 32;
/** A takeover marker older than this is stale, whoever wrote it (a takeover takes milliseconds). */
const STALE_MARKER_MS = 10 * 60_000;
/** How long to wait for another process's takeover of a name before trying again. */
const MARKER_WAIT_MS = 100;
const MAX_ATTEMPTS = 50;

/** A crate of the project, as cargo metadata lists it: its package name and its directory. */
export interface CrateOwner {
  name: string;
  dir: string;
}

export interface SlotChoice {
  slot: number;
  dir: string;
  /** For each name the project had to leave slot-0 over: the directory that holds it there. */
  displacedBy: { name: string; owner: string }[];
  /** True when this project's claims in the slot were made now (its first build there). */
  newlyClaimed: boolean;
}

type ClaimOutcome = { kind: 'own'; fresh: boolean } | { kind: 'taken'; owner: string };

/** Whether a file name is one of cargo's units of crate `name`: `<name>-<hash>`, `lib<name>-<hash>.rlib`, its `.d`, … */
export function isUnitOf(crateName: string, fileName: string): boolean {
  const forms = new Set([crateName, crateName.replaceAll('-', '_')]);
  const match = /^(.+)-[0-9a-z]{10,20}(\.[A-Za-z0-9.]+)?$/.exec(fileName);
  if (!match) return false;
  const [, stem, extension] = match as unknown as [string, string, string | undefined];
  // Only libraries carry the lib prefix: `libfoo-<hash>` with no extension is crate libfoo's binary.
  const library = extension !== undefined && /^\.(rlib|rmeta|so|a|dylib|dll)$/.test(extension);
  return forms.has(stem) || (library && stem.startsWith('lib') && forms.has(stem.slice(3)));
}

/** The directories cargo keeps units in: <profile>/<kind> and <triple>/<profile>/<kind>. */
const UNIT_KINDS = ['.fingerprint', 'deps', 'build', 'incremental'];

/** Removes every unit of the crates `names` from a slot, under every profile and target triple. */
export async function removeCrateUnits(slotDir: string, names: string[]): Promise<void> {
  const profileDirs: string[] = [];
  for (const top of await subdirectories(slotDir)) {
    if (top === 'claims') continue;
    profileDirs.push(join(slotDir, top));
    for (const inner of await subdirectories(join(slotDir, top))) profileDirs.push(join(slotDir, top, inner));
  }
  for (const profileDir of profileDirs) {
    for (const kind of UNIT_KINDS) {
      const entries = await readdir(join(profileDir, kind)).catch(() => [] as string[]);
      for (const entry of entries) {
        if (names.some((name) => isUnitOf(name, entry))) await rm(join(profileDir, kind, entry), { recursive: true, force: true });
      }
    }
  }
}

async function subdirectories(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
}

/** A claim is alive while its directory holds a Cargo.toml whose package is that name. */
export async function claimIsAlive(name: string, ownerDir: string): Promise<boolean> {
  const manifest = await readFile(join(ownerDir, 'Cargo.toml'), 'utf8').catch(() => undefined);
  return manifest !== undefined && cargoPackageName(manifest) === name;
}

/** The owner a claim names (its first line), or undefined when it is gone. */
async function readClaim(path: string): Promise<string | undefined> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  return text?.split('\n')[0];
}

/** Writes `text` to a temp file and hard-links it to `path`: false, and nothing written, if `path` exists. */
async function createExclusive(dir: string, path: string, text: string): Promise<boolean> {
  const temp = join(dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  await writeFile(temp, text);
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** A takeover marker whose writer is gone (same host, no such process) or that is too old. */
async function markerIsStale(path: string): Promise<boolean> {
  const [text, info] = await Promise.all([readFile(path, 'utf8').catch(() => undefined), stat(path).catch(() => undefined)]);
  if (text === undefined || info === undefined) return false;
  if (Date.now() - info.mtimeMs > STALE_MARKER_MS) return true;
  const [, pidText, host] = text.split('\n');
  if (host !== hostname()) return false;
  try {
    process.kill(Number(pidText), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Claims `crate.name` in the slot for `crate.dir`: its own already, made now (exclusively, after
 * clearing the name's units), taken over from a dead owner, or taken by a live one.
 */
export async function claimName(slotDir: string, crate: CrateOwner): Promise<ClaimOutcome> {
  const claims = join(slotDir, 'claims');
  await mkdir(claims, { recursive: true });
  const claimPath = join(claims, crate.name);
  const markerPath = join(claims, `${crate.name}.takeover`);
  const body = `${crate.dir}\n${process.pid}\n${hostname()}\n`;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const owner = await readClaim(claimPath);
    if (owner === crate.dir) return { kind: 'own', fresh: false };
    if (owner !== undefined && (await claimIsAlive(crate.name, owner))) return { kind: 'taken', owner };
    // Free or dead: whoever creates the marker does the work; everybody else waits for it.
    if (!(await createExclusive(claims, markerPath, body))) {
      if (await markerIsStale(markerPath)) await removeStaleMarker(claims, markerPath);
      else await new Promise((resolve) => setTimeout(resolve, MARKER_WAIT_MS));
      continue;
    }
    let placed = false;
    try {
      if ((await readClaim(claimPath)) !== owner) continue;
      // A unit of this name may be a previous owner's, with the same hash as ours: it must go.
      await removeCrateUnits(slotDir, [crate.name]);
      await rename(markerPath, claimPath);
      placed = true;
      return { kind: 'own', fresh: true };
    } finally {
      // Once renamed, a marker at that path is another process's.
      if (!placed) await unlink(markerPath).catch(() => undefined);
    }
  }
  throw new Error(`could not claim ${crate.name} in ${slotDir}: another process kept it busy`);
}

/** Moves a stale marker aside and deletes it, unless it was replaced by a live one meanwhile. */
async function removeStaleMarker(claims: string, markerPath: string): Promise<void> {
  const aside = join(claims, `.stale-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    await rename(markerPath, aside);
  } catch {
    return;
  }
  if (await markerIsStale(aside)) await unlink(aside).catch(() => undefined);
  else await link(aside, markerPath).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

/** Removes a claim this crate made, unless it is someone else's by now. */
async function releaseClaim(slotDir: string, crate: CrateOwner): Promise<void> {
  const path = join(slotDir, 'claims', crate.name);
  const aside = join(slotDir, 'claims', `.release-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    await rename(path, aside);
  } catch {
    return;
  }
  if ((await readClaim(aside)) !== crate.dir) await link(aside, path).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

/** The lowest slot of `cacheDir` where every crate of the project is free or its own, claimed. */
export async function chooseSlot(cacheDir: string, crates: CrateOwner[]): Promise<SlotChoice> {
  const displacedBy: { name: string; owner: string }[] = [];
  for (let slot = 0; slot < MAX_SLOTS; slot++) {
    const dir = join(cacheDir, `slot-${slot}`);
    const madeNow: CrateOwner[] = [];
    let taken: { name: string; owner: string } | undefined;
    for (const crate of crates) {
      const outcome = await claimName(dir, crate);
      if (outcome.kind === 'taken') {
        taken = { name: crate.name, owner: outcome.owner };
        break;
      }
      if (outcome.fresh) madeNow.push(crate);
    }
    if (!taken) return { slot, dir, displacedBy, newlyClaimed: madeNow.length > 0 };
    if (slot === 0) displacedBy.push(taken);
    // A workspace goes on to the next slot whole: the names it claimed here on the way are free again.
    for (const crate of madeNow) await releaseClaim(dir, crate);
  }
  throw new Error(`every one of ${MAX_SLOTS} slots in ${cacheDir} holds a crate of this name`);
}
