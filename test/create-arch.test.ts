/**
 * The default architecture is this machine's, so a `--yes` project builds and runs here with no
 * extra rustup target; an explicit --arch always wins, and the summary line says which it was.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostArch } from '../src/scaffold/catalog.js';
import { CREATE_BIN, runBin, tempDir } from './support/cli.js';

describe('hostArch', () => {
  it.each([
    ['x64', 'x86_64'],
    ['arm64', 'arm64'],
    ['ppc64', 'arm64'],
  ])("maps Node's %s to %s", (nodeArch, arch) => {
    expect(hostArch(nodeArch)).toBe(arch);
  });
});

describe('create-fast-lambda --yes', () => {
  const machine = process.arch === 'x64' ? 'x86_64' : 'arm64';

  it(`defaults to this machine's architecture (${machine}) and says so`, async () => {
    const cwd = await tempDir();
    const result = await runBin(CREATE_BIN, ['svc', '--trigger', 'sqs', '--yes'], cwd);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`Created svc in ./svc: SQS → DynamoDB, ${machine} (this machine's), 512 MB, 30 s.`);
    expect(await readFile(join(cwd, 'svc/template.yaml'), 'utf8')).toMatch(new RegExp(`Architectures:\\s*\\n\\s*- ${machine}\\b`));
  });

  it.each(['arm64', 'x86_64'])('takes --arch %s as given, without the note', async (arch) => {
    const cwd = await tempDir();
    const result = await runBin(CREATE_BIN, ['svc', '--trigger', 'sqs', '--arch', arch, '--yes'], cwd);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`SQS → DynamoDB, ${arch}, 512 MB, 30 s.`);
    expect(await readFile(join(cwd, 'svc/template.yaml'), 'utf8')).toMatch(new RegExp(`Architectures:\\s*\\n\\s*- ${arch}\\b`));
  });
});
