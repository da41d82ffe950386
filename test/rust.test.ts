/**
 * The generated Rust crate, for every trigger (both API flavours) × sink on x86_64: rendered and
 * written like the CLI does, then `cargo fmt --check`, `cargo clippy --all-targets -D warnings`
 * and `cargo test`. arm64 changes only template.yaml and build flags, not the Rust code.
 *
 * All projects share one CARGO_TARGET_DIR (.cache/cargo-target), so the dependencies compile
 * once, on the first project, and every later project only compiles its own crate.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { renderProject } from '../src/scaffold/render.js';
import type { ProjectSpec } from '../src/scaffold/spec.js';
import { writeProject } from '../src/scaffold/write.js';
import { ALL_SPECS } from './support/specs.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const CARGO_ENV = {
  CARGO_TARGET_DIR: join(ROOT, '.cache', 'cargo-target'),
  CARGO_TERM_COLOR: 'never',
  // Nothing here is ever debugged, and debug info is most of what the SDK crates cost to build
  // and link. It changes no code path, so the checks stay the ones users run.
  CARGO_PROFILE_DEV_DEBUG: '0',
  // Incremental caches only pay off when the same crate is rebuilt; each project builds once.
  CARGO_INCREMENTAL: '0',
};

/** The first project compiles every dependency twice (clippy's check + the test build). */
const COLD_BUILD_TIMEOUT = 20 * 60_000;

const SPECS: ProjectSpec[] = ALL_SPECS.filter((spec) => spec.arch === 'x86_64');

const SDK_CRATE = { dynamodb: 'aws-sdk-dynamodb', sqs: 'aws-sdk-sqs', none: undefined } as const;

const label = (s: ProjectSpec) => `${s.trigger}${s.api === 'none' ? '' : ` (${s.api})`} → ${s.sink}`;

async function cargo(dir: string, args: string[]) {
  const result = await execa('cargo', args, { cwd: dir, env: CARGO_ENV, reject: false, all: true });
  return { exitCode: result.exitCode, output: result.all ?? '' };
}

/** Dependency names declared in Cargo.toml's [dependencies] table. */
function dependencies(cargoToml: string): string[] {
  const table = /^\[dependencies\]\n([\s\S]*?)(?=^\[|$(?![\s\S]))/m.exec(cargoToml)?.[1] ?? '';
  return [...table.matchAll(/^([A-Za-z0-9_-]+)\s*=/gm)].map((m) => m[1]!);
}

describe('generated Rust crate', () => {
  const root = mkdtempSync(join(tmpdir(), 'cfl-rust-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('covers every trigger, API flavour and sink', () => {
    expect(new Set(SPECS.map(label)).size).toBe(15);
  });

  for (const [i, spec] of SPECS.entries()) {
    describe(label(spec), () => {
      const files = renderProject(spec);
      const dir = join(root, `${i}-${spec.name}`);

      it('depends only on the crates it uses', () => {
        const deps = dependencies(files.get('Cargo.toml')!);
        const sdkCrates = deps.filter((dep) => dep.startsWith('aws-sdk-'));
        expect(sdkCrates).toEqual(SDK_CRATE[spec.sink] ? [SDK_CRATE[spec.sink]] : []);
        expect(deps.includes('aws-config')).toBe(spec.sink !== 'none');
        expect(deps).toContain(spec.trigger === 'api' ? 'lambda_http' : 'lambda_runtime');
        expect(deps.includes('aws_lambda_events')).toBe(spec.trigger !== 'api');
        expect(files.get('Cargo.toml')).not.toMatch(/^aws_lambda_events = (?!.*default-features = false)/m);
      });

      it(
        'passes cargo fmt --check, clippy -D warnings and cargo test',
        async () => {
          await writeProject(dir, files);

          const fmt = await cargo(dir, ['fmt', '--check']);
          expect(fmt.exitCode, `cargo fmt --check\n${fmt.output}`).toBe(0);

          const clippy = await cargo(dir, ['clippy', '--all-targets', '--', '-D', 'warnings']);
          expect(clippy.exitCode, `cargo clippy\n${clippy.output}`).toBe(0);

          const test = await cargo(dir, ['test']);
          expect(test.exitCode, `cargo test\n${test.output}`).toBe(0);
          const passed = [...test.output.matchAll(/^test result: ok\. (\d+) passed/gm)].map((m) => Number(m[1]));
          expect(Math.max(0, ...passed), `no tests ran\n${test.output}`).toBeGreaterThan(0);
        },
        COLD_BUILD_TIMEOUT,
      );
    });
  }
});
