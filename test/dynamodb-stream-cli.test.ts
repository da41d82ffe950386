/**
 * The DynamoDB Streams trigger through the real CLI: offered in --help, created with its sample
 * event and table, and its crate's own dependency refused as a project name.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TRIGGERS } from '../src/scaffold/catalog.js';
import { describe, expect, it } from 'vitest';
import { CREATE_BIN, listTree, runBin, tempDir, userEnv } from './support/cli.js';
import { KEY, spawnInPty } from './support/pty.js';

describe('create-fast-lambda --trigger dynamodb-stream', () => {
  it('is offered in --help', async () => {
    const result = await runBin(CREATE_BIN, ['--help'], await tempDir());
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/--trigger <trigger> +api\|kinesis\|s3\|sqs\|dynamodb-stream\|schedule /);
  });

  it('is offered in the interactive menu, with its hint', async () => {
    const cwd = await tempDir();
    const t = spawnInPty(['node', CREATE_BIN, 'feed', '--arch', 'x86_64'], { cwd, env: userEnv({ NO_COLOR: '' }) });
    await t.waitFor('Project name');
    t.type(KEY.enter);
    await t.waitFor('What triggers the function?');
    // The menu is the catalog's rows in order.
    t.type(KEY.down.repeat(TRIGGERS.findIndex((row) => row.id === 'dynamodb-stream')));
    await t.waitFor("a table's changes in batches, in order per item");
    t.type(KEY.ctrlC);
    expect(await t.exit).toBe(130);
    expect(await listTree(cwd)).toEqual([]);
  });

  it('creates a project with its sample event, its source table and a DynamoDB sink by default', async () => {
    const cwd = await tempDir();
    const result = await runBin(CREATE_BIN, ['orders-feed', '--trigger', 'dynamodb-stream', '--yes'], cwd);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const dir = join(cwd, 'orders-feed');
    const files = await listTree(dir);
    expect(files).toEqual(
      expect.arrayContaining(['events/dynamodb-stream.json', 'src/handler.rs', 'src/poison.rs', 'src/sink/dynamodb.rs']),
    );
    expect(files.filter((f) => f.endsWith('.hbs'))).toEqual([]);
    const event = JSON.parse(await readFile(join(dir, 'events/dynamodb-stream.json'), 'utf8'));
    expect(event.Records.map((r: { eventName: string }) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    const template = await readFile(join(dir, 'template.yaml'), 'utf8');
    expect(template).toMatch(/^ {2}InputTable:\n {4}Type: AWS::DynamoDB::Table$/m);
    expect(template).toMatch(/^ {2}ResultsTable:$/m);
    expect(await readFile(join(dir, 'samconfig.toml'), 'utf8')).toContain('event = "events/dynamodb-stream.json"');
  });

  it('refuses serde_dynamo as a name: the generated crate depends on it', async () => {
    const cwd = await tempDir();
    const result = await runBin(CREATE_BIN, ['--name', 'serde-dynamo', '--trigger', 'dynamodb-stream', '--yes'], cwd);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/Invalid --name "serde-dynamo": is taken/);
    expect(await listTree(cwd)).toEqual([]);
  });
});
