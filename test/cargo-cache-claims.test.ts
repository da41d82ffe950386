/**
 * The shared build cache's claims, as properties over real files in temp directories: which
 * file names are a crate's units, where the cache lives, and, for any sequence of builds,
 * renames and deletions of projects, that no two live projects of one crate name share a slot,
 * that a project keeps its slot, that it takes the lowest one it may, and that it never inherits
 * units another project left under its name. test/cargo-shared-build.test.ts drives real cargo.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseSlot, isUnitOf, removeCrateUnits } from '../src/tools/cargo-cache-claims.js';
import { cargoCacheDir } from '../src/tools/cargo-cache.js';
import { tempDir } from './support/cli.js';

const crateName = fc.stringMatching(/^[a-z][a-z0-9_-]{0,11}$/);
const hash16 = fc.stringMatching(/^[0-9a-f]{16}$/);
const base32 = fc.stringMatching(/^[0-9a-z]{13}$/);

/** The file names cargo gives crate `name`'s units: fingerprints, build scripts, binaries, libraries, incremental state. */
function unitsOf(name: string, hash: string, session: string): string[] {
  const underscored = name.replaceAll('-', '_');
  const names = [
    `${name}-${hash}`,
    `${underscored}-${hash}`,
    `${underscored}-${hash}.d`,
    `lib${underscored}-${hash}.rlib`,
    `lib${underscored}-${hash}.rmeta`,
    `${underscored}-${session}`,
  ];
  return [...new Set(names)];
}

const same = (a: string, b: string) => a.replaceAll('-', '_') === b.replaceAll('-', '_');

describe('isUnitOf', () => {
  it("matches each of a crate's unit names, and no other crate's", () => {
    fc.assert(
      fc.property(crateName, crateName, hash16, base32, (name, other, hash, session) => {
        for (const unit of unitsOf(name, hash, session)) expect(isUnitOf(name, unit), unit).toBe(true);
        if (!same(name, other)) {
          for (const unit of unitsOf(other, hash, session)) expect(isUnitOf(name, unit), `${name} vs ${unit}`).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('leaves what is not a unit: dep-info without a hash, cargo lock files, a crate whose name only starts alike', () => {
    expect(isUnitOf('api', 'api')).toBe(false);
    expect(isUnitOf('api', '.cargo-lock')).toBe(false);
    expect(isUnitOf('api', 'api-gateway-0123456789abcdef')).toBe(false);
    expect(isUnitOf('foo', 'libfoo-0123456789abcdef')).toBe(false);
    expect(isUnitOf('libfoo', 'libfoo-0123456789abcdef')).toBe(true);
  });
});

describe('cargoCacheDir', () => {
  const home = '/home/someone';

  it('is LAMBDA_KIT_CARGO_CACHE when set, none when switched off, else the platform cache directory', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\/[a-z0-9/]{1,20}$/), fc.constantFrom('off', 'OFF', '0', 'false', 'no'), (chosen, off) => {
        expect(cargoCacheDir({ LAMBDA_KIT_CARGO_CACHE: chosen }, 'linux', home)).toBe(resolve(chosen));
        expect(cargoCacheDir({ LAMBDA_KIT_CARGO_CACHE: off }, 'linux', home)).toBeUndefined();
        expect(cargoCacheDir({ XDG_CACHE_HOME: chosen }, 'linux', home)).toBe(join(chosen, 'lambda-kit', 'cargo-build'));
      }),
    );
    expect(cargoCacheDir({}, 'linux', home)).toBe('/home/someone/.cache/lambda-kit/cargo-build');
    // A relative XDG_CACHE_HOME is invalid by the XDG spec, and ignored.
    expect(cargoCacheDir({ XDG_CACHE_HOME: 'rel' }, 'linux', home)).toBe('/home/someone/.cache/lambda-kit/cargo-build');
    expect(cargoCacheDir({}, 'darwin', home)).toBe('/home/someone/Library/Caches/lambda-kit/cargo-build');
  });
});

describe('chooseSlot', () => {
  let root: string;
  beforeAll(async () => {
    root = await tempDir('cfl-claims-');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  type Step = { kind: 'build'; project: number } | { kind: 'rename'; project: number; name: string } | { kind: 'delete'; project: number };
  const PROJECTS = 4;
  const NAMES = ['api', 'worker', 'api_two'];
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('build' as const), project: fc.nat(PROJECTS - 1) }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('rename' as const), project: fc.nat(PROJECTS - 1), name: fc.constantFrom(...NAMES) }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), project: fc.nat(PROJECTS - 1) }) },
  );

  function writeCrate(dir: string, name: string): void {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'Cargo.toml'), `[package]\nname = "${name}"\nversion = "0.1.0"\n`);
  }

  it('no two live projects of one name share a slot; a project keeps its slot, takes the lowest, and inherits no units', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        const base = join(root, `run-${run++}`);
        const cache = join(base, 'cache');
        const dirs = Array.from({ length: PROJECTS }, (_, i) => join(base, `p${i}`));
        const names = dirs.map((_, i) => NAMES[i % 2]!);
        const alive = dirs.map(() => true);
        for (const [i, dir] of dirs.entries()) writeCrate(dir, names[i]!);
        /** Where each project last built, and under which name. */
        const built = new Map<number, { slot: number; name: string }>();
        for (const s of steps) {
          if (s.kind === 'rename') {
            names[s.project] = s.name;
            if (alive[s.project]) writeCrate(dirs[s.project]!, s.name);
            continue;
          }
          if (s.kind === 'delete') {
            rmSync(dirs[s.project]!, { recursive: true, force: true });
            alive[s.project] = false;
            continue;
          }
          if (!alive[s.project]) {
            writeCrate(dirs[s.project]!, names[s.project]!);
            alive[s.project] = true;
          }
          const name = names[s.project]!;
          const choice = await chooseSlot(cache, [{ name, dir: dirs[s.project]! }]);
          // Lowest: every slot below holds the name for another live project.
          for (let lower = 0; lower < choice.slot; lower++) {
            const owner = readFileSync(join(cache, `slot-${lower}`, 'claims', name), 'utf8').split('\n')[0]!;
            expect(owner).not.toBe(dirs[s.project]);
            const ownerIndex = dirs.indexOf(owner);
            expect(alive[ownerIndex] && names[ownerIndex] === name).toBe(true);
          }
          // Never inherited: whatever units of this name the slot holds are this project's own (cargo, simulated).
          const deps = join(choice.dir, 'debug', 'deps');
          mkdirSync(deps, { recursive: true });
          for (const unit of readdirSync(deps).filter((entry) => isUnitOf(name, entry)))
            expect(readFileSync(join(deps, unit), 'utf8')).toBe(dirs[s.project]);
          writeFileSync(join(deps, `${name.replaceAll('-', '_')}-0123456789abcdef`), dirs[s.project]!);
          const before = built.get(s.project);
          if (before?.name === name && existsSync(join(cache, `slot-${before.slot}`, 'claims', name))) {
            const again = readFileSync(join(cache, `slot-${before.slot}`, 'claims', name), 'utf8').split('\n')[0];
            // Still its claim there: then it stays (or moved lower, to a slot that freed up).
            if (again === dirs[s.project]) expect(choice.slot).toBeLessThanOrEqual(before.slot);
          }
          built.set(s.project, { slot: choice.slot, name });
          // No two live projects of one name, each still in the slot it last built in, share it.
          const seen = new Map<string, number>();
          for (const [project, where] of built) {
            if (!alive[project] || names[project] !== where.name) continue;
            const claim = join(cache, `slot-${where.slot}`, 'claims', where.name);
            if (readFileSync(claim, 'utf8').split('\n')[0] !== dirs[project]) continue;
            const key = `${where.slot}/${where.name}`;
            expect(seen.get(key), `${key} held by p${seen.get(key)} and p${project}`).toBeUndefined();
            seen.set(key, project);
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  it('projects of one name claiming at once each get a slot of their own', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 6 }), crateName, async (count, name) => {
        const base = await tempDir('cfl-claims-race-');
        try {
          const dirs = Array.from({ length: count }, (_, i) => join(base, `p${i}`));
          for (const dir of dirs) writeCrate(dir, name);
          const choices = await Promise.all(dirs.map((dir) => chooseSlot(join(base, 'cache'), [{ name, dir }])));
          expect(new Set(choices.map((c) => c.slot)).size).toBe(count);
          expect(Math.max(...choices.map((c) => c.slot))).toBe(count - 1);
          for (const [i, choice] of choices.entries()) {
            expect(readFileSync(join(choice.dir, 'claims', name), 'utf8').split('\n')[0]).toBe(dirs[i]);
          }
        } finally {
          rmSync(base, { recursive: true, force: true });
        }
      }),
      { numRuns: 15 },
    );
  });
});

describe('chooseSlot, for a workspace of several crates', () => {
  it('moves on whole when one of its names is taken, and frees the names it claimed on the way', async () => {
    const base = await tempDir('cfl-claims-workspace-');
    try {
      const cache = join(base, 'cache');
      const other = join(base, 'other');
      mkdirSync(other);
      writeFileSync(join(other, 'Cargo.toml'), '[package]\nname = "shared-name"\n');
      expect((await chooseSlot(cache, [{ name: 'shared-name', dir: other }])).slot).toBe(0);

      const workspace = join(base, 'workspace');
      const crates = ['first-member', 'shared-name'].map((name) => ({ name, dir: join(workspace, name) }));
      for (const crate of crates) {
        mkdirSync(crate.dir, { recursive: true });
        writeFileSync(join(crate.dir, 'Cargo.toml'), `[package]\nname = "${crate.name}"\n`);
      }
      const choice = await chooseSlot(cache, crates);
      expect(choice.slot).toBe(1);
      expect(choice.displacedBy).toEqual([{ name: 'shared-name', owner: other }]);
      expect(existsSync(join(cache, 'slot-0', 'claims', 'first-member'))).toBe(false);
      for (const crate of crates) expect(readFileSync(join(choice.dir, 'claims', crate.name), 'utf8').split('\n')[0]).toBe(crate.dir);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('removeCrateUnits', () => {
  it("removes a crate's units under every profile and target triple, and nothing else", async () => {
    const slot = await tempDir('cfl-units-');
    try {
      const places = ['debug', 'release', 'x86_64-unknown-linux-gnu/debug'];
      const kinds = ['.fingerprint', 'deps', 'build', 'incremental'];
      for (const place of places) {
        for (const kind of kinds) {
          mkdirSync(join(slot, place, kind), { recursive: true });
          for (const unit of [
            ...unitsOf('my-fn', '0123456789abcdef', '27lw79ztmtprw'),
            ...unitsOf('itoa', 'fedcba9876543210', '12iqbesya3lqs'),
          ])
            writeFileSync(join(slot, place, kind, unit), '');
        }
      }
      mkdirSync(join(slot, 'claims'), { recursive: true });
      writeFileSync(join(slot, 'claims', 'my-fn'), '/somewhere\n');
      await removeCrateUnits(slot, ['my-fn']);
      for (const place of places) {
        for (const kind of kinds) {
          expect(readdirSync(join(slot, place, kind)).sort()).toEqual(unitsOf('itoa', 'fedcba9876543210', '12iqbesya3lqs').sort());
        }
      }
      expect(existsSync(join(slot, 'claims', 'my-fn'))).toBe(true);
    } finally {
      rmSync(slot, { recursive: true, force: true });
    }
  });
});
