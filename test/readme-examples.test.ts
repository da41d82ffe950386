/**
 * README.md's examples that once named things that do not exist: each is taken from the README
 * as written and checked against what create-fast-lambda really generates.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CREATE_BIN, ROOT, runBin, tempDir } from './support/cli.js';

const readme = () => readFile(join(ROOT, 'README.md'), 'utf8');

/** The README's line that starts with `prefix`, as written. */
async function readmeLine(prefix: string): Promise<string> {
  const line = (await readme()).split('\n').find((l) => l.startsWith(prefix));
  if (!line) throw new Error(`README.md has no line starting with ${prefix}`);
  return line;
}

describe('README.md examples', () => {
  it('makes events/bad.json from the SQS sample with the sed line it shows: one message loses its name', async () => {
    const cwd = await tempDir();
    expect((await runBin(CREATE_BIN, ['orders', '--trigger', 'sqs', '--yes'], cwd)).exitCode).toBe(0);
    const project = join(cwd, 'orders');
    const sed = await readmeLine("sed 's/");
    execFileSync('sh', ['-c', sed], { cwd: project });
    const bad = JSON.parse(await readFile(join(project, 'events/bad.json'), 'utf8')) as { Records: { messageId: string; body: string }[] };
    const bodies = bad.Records.map((record) => JSON.parse(record.body) as Record<string, unknown>);
    expect(bodies.filter((body) => !('name' in body))).toHaveLength(1);
    // The message the README's sample output reports as failed.
    expect(bad.Records[bodies.findIndex((body) => !('name' in body))]!.messageId).toBe('8f5a1c0e-3b7d-4e62-9a41-0d6c2b9e7f13');
    expect((await readme())).toContain('"itemIdentifier": "8f5a1c0e-3b7d-4e62-9a41-0d6c2b9e7f13"');
  });

  it('reads an output key the API stack really has (jq -r .<key>)', async () => {
    const keys = [...(await readme()).matchAll(/outputs --json \| jq -r \.(\w+)/g)].map((m) => m[1]!);
    expect(keys.length).toBeGreaterThan(0);
    const cwd = await tempDir();
    expect((await runBin(CREATE_BIN, ['web', '--yes'], cwd)).exitCode).toBe(0);
    const template = await readFile(join(cwd, 'web/template.yaml'), 'utf8');
    const outputs = template.slice(template.indexOf('\nOutputs:'));
    for (const key of keys) expect(outputs).toMatch(new RegExp(`^  ${key}:`, 'm'));
  });

  it('sets the region for both lambda-kit and AWS CLI v1 in the moto example', async () => {
    const exportLine = await readmeLine('export AWS_ENDPOINT_URL=http://127.0.0.1:5000');
    expect(exportLine).toMatch(/\bAWS_REGION=us-east-1\b/);
    expect(exportLine).toMatch(/\bAWS_DEFAULT_REGION=us-east-1\b/);
  });
});
