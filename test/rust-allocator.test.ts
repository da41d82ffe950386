/**
 * Every generated function allocates with mimalloc (the cut measured on the churn example: about a
 * quarter of the CPU of a warm batch), built without transparent huge pages (which more than
 * doubled its peak memory). The rendered crates are checked for every combination; one is built
 * and run, and mimalloc's own start-up message proves it is the allocator in the binary.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { renderProject } from '../src/scaffold/render.js';
import { resolveSpec } from '../src/scaffold/spec.js';
import { writeProject } from '../src/scaffold/write.js';
import { ALL_SPECS } from './support/specs.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHURN = resolveSpec({ name: 'churn-alloc', example: 'churn', arch: 'x86_64' });
const MIMALLOC_DEPENDENCY = /^mimalloc = \{ version = "0\.1", default-features = false, features = \["no_thp"\] \}$/m;
const GLOBAL_ALLOCATOR = /^#\[global_allocator\]\nstatic ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;$/m;

describe('the global allocator of generated functions', () => {
  it('is mimalloc without transparent huge pages, in every combination and in the churn example', () => {
    for (const spec of [...ALL_SPECS, CHURN]) {
      const files = renderProject(spec);
      expect(files.get('Cargo.toml'), spec.name).toMatch(MIMALLOC_DEPENDENCY);
      expect(files.get('src/main.rs'), spec.name).toMatch(GLOBAL_ALLOCATOR);
    }
  });

  describe('in a built function', () => {
    const root = mkdtempSync(join(tmpdir(), 'cfl-alloc-'));
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    it(
      'is the one that starts with the process',
      async () => {
        // No SDK crate: the quickest crate to build that still has the template's main.rs.
        const spec = resolveSpec({ name: 'alloc-check', trigger: 'api', api: 'http', sink: 'none', arch: 'x86_64' });
        const dir = join(root, spec.name);
        await writeProject(dir, renderProject(spec));
        const env = { CARGO_TARGET_DIR: join(ROOT, '.cache', 'cargo-target'), CARGO_TERM_COLOR: 'never', CARGO_PROFILE_DEV_DEBUG: '0' };
        const build = await execa('cargo', ['build', '--message-format=short'], { cwd: dir, env, reject: false, all: true });
        expect(build.exitCode, build.all).toBe(0);

        // The runtime's address is a closed port: the function starts, then fails to poll.
        const run = await execa(join(env.CARGO_TARGET_DIR, 'debug', spec.name), [], {
          env: { MIMALLOC_VERBOSE: '1', AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9', AWS_LAMBDA_FUNCTION_NAME: spec.name },
          reject: false,
          timeout: 30_000,
        });
        expect(run.timedOut).toBe(false);
        expect(run.stderr).toMatch(/^mimalloc: process init/m);
      },
      20 * 60_000,
    );
  });
});
