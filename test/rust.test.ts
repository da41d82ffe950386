/**
 * The generated Rust crate, for every trigger (both API flavours) × sink on x86_64, and for every
 * API flavour × auth mode: rendered and written like the CLI does, then `cargo fmt --check`,
 * `cargo clippy --all-targets -D warnings` and `cargo test`. arm64 changes only template.yaml and
 * build flags, not the Rust code. Auth only changes the API handler, so the auth modes other than
 * the default run with one sink rather than with every sink.
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
import { APIS, AUTHS, SINKS, TRIGGERS, trigger as triggerRow } from '../src/scaffold/catalog.js';
import { resolveSpec, type ProjectSpec } from '../src/scaffold/spec.js';
import { MINIMUM } from '../src/tools/doctor.js';
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

/** A JWT issuer each API flavour accepts: a REST API's authorizer takes Cognito user pools only. */
const JWT_ISSUER = {
  http: 'https://example.auth0.com/',
  rest: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123',
} as const;

/** Every trigger × sink with the default auth (IAM for an API)… */
const SINK_SPECS = ALL_SPECS.filter((spec) => spec.arch === 'x86_64');
const DEFAULT_AUTH = SINK_SPECS.find((spec) => spec.trigger === 'api')!.auth;

/** …and every API flavour × other auth mode, with no sink. */
const AUTH_SPECS: ProjectSpec[] = APIS.flatMap(({ id: api }) =>
  AUTHS.filter(({ id }) => id !== DEFAULT_AUTH).map(({ id: auth }) =>
    resolveSpec({
      name: `fn-api-${api}-${auth}-none`,
      trigger: 'api',
      api,
      auth,
      ...(auth === 'jwt' ? { jwtIssuer: JWT_ISSUER[api], jwtAudience: 'client-123' } : {}),
      sink: 'none',
      arch: 'x86_64',
    }),
  ),
);

const SPECS: ProjectSpec[] = [...SINK_SPECS, ...AUTH_SPECS];

/**
 * Triggers added since the first four build their crate with one sink, their default: the other
 * sinks change only the sink module, which the first four build with every sink, and each crate
 * costs minutes on CI's two cores. The cheap checks below still run for every sink.
 */
const BUILT_WITH_DEFAULT_SINK_ONLY = new Set<string>(['dynamodb-stream', 'schedule']);
const builds = (spec: ProjectSpec) => !BUILT_WITH_DEFAULT_SINK_ONLY.has(spec.trigger) || spec.sink === triggerRow(spec.trigger).defaultSink;

const SDK_CRATE = { dynamodb: 'aws-sdk-dynamodb', sqs: 'aws-sdk-sqs', none: undefined } as const;

const label = (s: ProjectSpec) => `${s.trigger}${s.api === 'none' ? '' : ` (${s.api}, ${s.auth})`} → ${s.sink}`;

async function cargo(dir: string, args: string[]) {
  const result = await execa('cargo', args, { cwd: dir, env: CARGO_ENV, reject: false, all: true });
  return { exitCode: result.exitCode, output: result.all ?? '' };
}

/** cargo fmt --check, clippy -D warnings and cargo test must pass; returns how many tests ran. */
async function fmtClippyTest(dir: string): Promise<number> {
  const fmt = await cargo(dir, ['fmt', '--check']);
  expect(fmt.exitCode, `cargo fmt --check\n${fmt.output}`).toBe(0);
  const clippy = await cargo(dir, ['clippy', '--all-targets', '--', '-D', 'warnings']);
  expect(clippy.exitCode, `cargo clippy\n${clippy.output}`).toBe(0);
  const test = await cargo(dir, ['test']);
  expect(test.exitCode, `cargo test\n${test.output}`).toBe(0);
  return [...test.output.matchAll(/^test result: ok\. (\d+) passed/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** Dependency names declared in Cargo.toml's [dependencies] table. */
function dependencies(cargoToml: string): string[] {
  const table = /^\[dependencies\]\n([\s\S]*?)(?=^\[|$(?![\s\S]))/m.exec(cargoToml)?.[1] ?? '';
  return [...table.matchAll(/^([A-Za-z0-9_-]+)\s*=/gm)].map((m) => m[1]!);
}

describe('generated Rust crate', () => {
  const root = mkdtempSync(join(tmpdir(), 'cfl-rust-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('covers every trigger, API flavour and sink, and every API flavour and auth mode', () => {
    expect(new Set(SPECS.map(label)).size).toBe((TRIGGERS.length - 1 + APIS.length) * SINKS.length + APIS.length * (AUTHS.length - 1));
    for (const { id } of TRIGGERS)
      expect(
        SPECS.some((s) => s.trigger === id && builds(s)),
        `${id} is built`,
      ).toBe(true);
    for (const { id: api } of APIS) {
      for (const { id: auth } of AUTHS) {
        expect(
          SPECS.some((s) => s.api === api && s.auth === auth),
          `${api} × ${auth}`,
        ).toBe(true);
      }
    }
  });

  for (const [i, spec] of SPECS.entries()) {
    describe(label(spec), () => {
      const files = renderProject(spec);
      const dir = join(root, `${i}-${spec.name}`);

      // A batch trigger parks poison records on an SQS queue, whatever its sink.
      const isBatch = triggerRow(spec.trigger).parksPoison;
      const callsAws = spec.sink !== 'none' || isBatch;

      it('depends only on the crates it uses', () => {
        const deps = dependencies(files.get('Cargo.toml')!);
        const sdkCrates = deps.filter((dep) => dep.startsWith('aws-sdk-'));
        const expected = new Set([...(SDK_CRATE[spec.sink] ? [SDK_CRATE[spec.sink]] : []), ...(isBatch ? ['aws-sdk-sqs'] : [])]);
        expect(sdkCrates.sort()).toEqual([...expected].sort());
        expect(deps.includes('aws-config')).toBe(callsAws);
        expect(deps.includes('base64')).toBe(isBatch);
        expect(deps).toContain(spec.trigger === 'api' ? 'lambda_http' : 'lambda_runtime');
        // Except for HTTP and a trigger whose event is its handler's own type (the schedule's Input).
        expect(deps.includes('aws_lambda_events')).toBe(triggerRow(spec.trigger).eventModule !== '');
        // Reads a stream record's item images, DynamoDB's typed JSON.
        expect(deps.includes('serde_dynamo')).toBe(spec.trigger === 'dynamodb-stream');
        expect(files.get('Cargo.toml')).not.toMatch(/^aws_lambda_events = (?!.*default-features = false)/m);
      });

      it('reads JWT_AUDIENCE exactly when template.yaml sets it (REST API with JWT auth)', () => {
        const restJwt = spec.api === 'rest' && spec.auth === 'jwt';
        expect(files.get('src/main.rs')!.includes('required_env("JWT_AUDIENCE")')).toBe(restJwt);
        expect(/^\s+JWT_AUDIENCE:/m.test(files.get('template.yaml')!)).toBe(restJwt);
      });

      it('declares the Rust doctor checks for, and no aws-config providers a function never uses', () => {
        const cargoToml = files.get('Cargo.toml')!;
        expect(cargoToml).toContain(`rust-version = "${MINIMUM.rust}"`);
        if (callsAws) {
          expect(cargoToml).toMatch(/^aws-config = \{ .*default-features = false/m);
          expect(/^aws-config = .*"(sso|credentials-process)"/m.test(cargoToml)).toBe(false);
        }
      });

      it('derives the SDK timeouts from FUNCTION_TIMEOUT_SECONDS, which template.yaml sets to the Timeout', () => {
        const readsTimeout = files.get('src/timeouts.rs')!.includes('required_env("FUNCTION_TIMEOUT_SECONDS")');
        expect(readsTimeout).toBe(callsAws);
        const template = files.get('template.yaml')!;
        const timeout = /^\s+Timeout: (\d+)$/m.exec(template)![1];
        expect(/^\s+FUNCTION_TIMEOUT_SECONDS: "(\d+)"$/m.exec(template)?.[1]).toBe(callsAws ? timeout : undefined);
        expect(files.get('src/main.rs')).not.toContain('BehaviorVersion::latest()');
      });

      // Only the crates that are built get the test: a skipped one would read as a missing tool in CI's totals.
      if (builds(spec)) {
        it(
          'passes cargo fmt --check, clippy -D warnings and cargo test',
          async () => {
            await writeProject(dir, files);
            expect(await fmtClippyTest(dir)).toBeGreaterThan(0);
          },
          COLD_BUILD_TIMEOUT,
        );
      }
    });
  }
});

describe('the churn example crate', () => {
  const root = mkdtempSync(join(tmpdir(), 'cfl-rust-churn-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it(
    'passes cargo fmt --check, clippy -D warnings and its unit tests (model, handler, batching)',
    async () => {
      const spec = resolveSpec({ name: 'churn-check', example: 'churn', arch: 'x86_64' });
      const files = renderProject(spec);
      expect(dependencies(files.get('Cargo.toml')!)).toEqual(
        expect.arrayContaining(['aws-sdk-sqs', 'rayon', 'lambda_runtime', 'aws_lambda_events']),
      );
      const dir = join(root, 'churn-check');
      await writeProject(dir, files);

      expect(await fmtClippyTest(dir)).toBeGreaterThanOrEqual(18);
    },
    COLD_BUILD_TIMEOUT,
  );
});
