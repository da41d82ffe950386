/**
 * What `lambda-kit build` runs (command, flags, environment) for each SAM version, architecture
 * and mode, and the zip it measures: a real archive that Python's zipfile and unzip accept, with
 * the executable bit Lambda needs on `bootstrap`. Nothing is built here; build-cli.test.ts builds.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../src/text/units.js';
import { functionsOf, type LambdaFunction } from '../src/project/project.js';
import { cargoLambdaPlan, samArtifact, samBuildPlan } from '../src/tools/build.js';
import { crc32, zipOneFile } from '../src/tools/zip.js';

/** The function of a generated template.yaml, read by the project model as every command reads it. */
const fn = (architecture: 'arm64' | 'x86_64'): LambdaFunction =>
  functionsOf(
    {
      Globals: { Function: { Runtime: 'provided.al2023', Handler: 'bootstrap', Architectures: [architecture] } },
      Resources: {
        AppFunction: { Type: 'AWS::Serverless::Function', Metadata: { BuildMethod: 'rust-cargolambda' }, Properties: { CodeUri: '.' } },
      },
    },
    '/work/my-fn',
  )[0]!;

describe('the build plan', () => {
  const sam = (overrides: Partial<Parameters<typeof samBuildPlan>[0]> = {}) =>
    samBuildPlan({ projectDir: '/work/my-fn', logicalId: undefined, betaFeatures: false, debug: false, env: {}, ...overrides });

  it('runs sam build in the project, never waiting on a telemetry question', () => {
    expect(sam()).toMatchObject({
      command: 'sam',
      args: ['build'],
      cwd: '/work/my-fn',
      env: { SAM_CLI_TELEMETRY: '0' },
      title: 'sam build',
    });
    expect(sam({ env: { SAM_CLI_TELEMETRY: '1' } }).env.SAM_CLI_TELEMETRY).toBe('1');
  });

  it('adds --beta-features for the SAM versions that need it, and names a function when asked', () => {
    expect(sam({ betaFeatures: true, logicalId: 'AppFunction' }).args).toEqual(['build', '--beta-features', 'AppFunction']);
  });

  it('asks sam for a debug build through SAM_BUILD_MODE (its --debug flag means verbose logs)', () => {
    expect(sam({ debug: true }).env).toEqual({ SAM_CLI_TELEMETRY: '0', SAM_BUILD_MODE: 'debug' });
    expect(sam({ debug: true }).args).not.toContain('--debug');
  });

  it('runs cargo lambda build for the architecture in template.yaml, release unless --debug', () => {
    expect(cargoLambdaPlan(fn('arm64'), { debug: false })).toMatchObject({
      command: 'cargo',
      args: ['lambda', 'build', '--release', '--arm64'],
      cwd: '/work/my-fn',
      title: 'cargo lambda build --release --arm64',
    });
    expect(cargoLambdaPlan(fn('x86_64'), { debug: true }).args).toEqual(['lambda', 'build', '--x86-64']);
  });

  it('finds sam’s artifact where sam build leaves it', () => {
    expect(samArtifact('/work/my-fn', 'AppFunction')).toBe('/work/my-fn/.aws-sam/build/AppFunction/bootstrap');
  });

  it('prints sizes in MB with the exact byte count', () => {
    expect(formatBytes(7_340_032)).toBe('7.3 MB (7,340,032 bytes)');
    expect(formatBytes(912_345)).toBe('912 kB (912,345 bytes)');
  });
});

describe('zipOneFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfl-zip-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('computes CRC-32 as zip does', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });

  it('makes an archive Python’s zipfile reads back byte for byte, executable, and smaller', () => {
    // Compressible like a binary is: repeated structure with some noise.
    const data = Buffer.concat(Array.from({ length: 2000 }, (_, i) => Buffer.from(`\x7fELF section ${i % 17} ${'x'.repeat(i % 50)}\n`)));
    const zip = zipOneFile({ name: 'bootstrap', data, mode: 0o755, modified: new Date(2026, 0, 2, 3, 4, 6) });
    expect(zip.length).toBeLessThan(data.length / 2);
    const file = join(dir, 'fn.zip');
    writeFileSync(file, zip);
    writeFileSync(join(dir, 'expected'), data);

    const check = `
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
[info] = z.infolist()
assert info.filename == 'bootstrap', info.filename
assert oct(info.external_attr >> 16) == '0o100755', oct(info.external_attr >> 16)
assert info.compress_type == zipfile.ZIP_DEFLATED
assert info.date_time == (2026, 1, 2, 3, 4, 6), info.date_time
assert z.read('bootstrap') == open(sys.argv[2], 'rb').read()
print('ok')
`;
    const python = spawnSync('python3', ['-c', check, file, join(dir, 'expected')], { encoding: 'utf8' });
    expect(python.stderr).toBe('');
    expect(python.stdout.trim()).toBe('ok');

    const unzip = spawnSync('unzip', ['-t', file], { encoding: 'utf8' });
    if (unzip.error) return; // unzip is a second opinion, not a requirement
    expect(unzip.stdout).toContain('No errors detected');
  });
});
