/**
 * A trigger or a sink is a catalog row plus a folder: shared templates include its fragments by
 * name (`{{> (fragment "trigger" "sam/events")}}`), and never ask which trigger or sink it is.
 */
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SINKS, TRIGGERS } from '../src/scaffold/catalog.js';
import { dependencyCrateNames } from '../src/scaffold/crate-names.js';
import { renderProject } from '../src/scaffold/render.js';
import { TEMPLATES_DIR } from '../src/scaffold/template-sources.js';
import type { ProjectSpec } from '../src/scaffold/spec.js';

async function fixture(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cfl-fragments-'));
  for (const [path, contents] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), contents);
  }
  return dir;
}

const spec: ProjectSpec = {
  example: 'none',
  twins: false,
  name: 'a',
  trigger: 'sqs',
  api: 'none',
  auth: 'none',
  jwtIssuer: '',
  jwtAudience: '',
  sink: 'dynamodb',
  arch: 'arm64',
  memory: 128,
  timeout: 3,
  logRetention: 14,
};

describe('fragments', () => {
  it("include the spec's trigger's and sink's, indented, and never become files", async () => {
    const dir = await fixture({
      'project/t.yaml': 'Events:\n  {{> (fragment "trigger" "sam/events")}}\n  {{> (fragment "sink" "sam/events")}}\nEnd: {{memory}}\n',
      'trigger/sqs/sam/events.hbs': 'Queue:\n  Type: SQS\n',
      'trigger/kinesis/sam/events.hbs': 'Stream:\n  Type: Kinesis\n',
      'sink/dynamodb/sam/events.hbs': 'Table: {{sinkEnv}}\n',
    });
    const files = renderProject(spec, dir);
    expect(files.get('t.yaml')).toBe('Events:\n  Queue:\n    Type: SQS\n  Table: TABLE_NAME\nEnd: 128\n');
    expect([...files.keys()]).toEqual(['t.yaml']);
  });

  it('render nothing, not even a blank line, where the trigger or sink has none', async () => {
    const dir = await fixture({
      'project/t.yaml': 'A: 1\n  {{> (fragment "trigger" "sam/outputs")}}\n{{> (fragment "sink" "sam/outputs")}}\nB: 2\n',
      'trigger/kinesis/sam/outputs.hbs': 'Stream: 1\n',
    });
    expect(renderProject(spec, dir).get('t.yaml')).toBe('A: 1\nB: 2\n');
  });

  it('name their layer, trigger or sink, and say so when they do not', async () => {
    const dir = await fixture({ 'project/t.yaml': '{{> (fragment "api" "sam/events")}}\n' });
    expect(() => renderProject(spec, dir)).toThrow(/templates\/project\/t.yaml: fragment wants "trigger" or "sink"/);
  });

  it("count a cargo/ fragment's crates among the names a project may not take", async () => {
    const dir = await fixture({
      'project/Cargo.toml': '[dependencies]\nserde = "1"\n',
      'trigger/sqs/cargo/dependencies.hbs': '# a comment\nsome-parser = "2"\n',
    });
    expect([...dependencyCrateNames(dir)].sort()).toEqual(['serde', 'some_parser']);
    expect(dependencyCrateNames()).toContain('percent_encoding');
  });
});

describe('templates/', () => {
  it('has a folder for every trigger and sink row, and a row for every folder', async () => {
    expect((await readdir(join(TEMPLATES_DIR, 'trigger'))).sort()).toEqual(TRIGGERS.map((t) => t.id).sort());
    expect((await readdir(join(TEMPLATES_DIR, 'sink'))).sort()).toEqual(SINKS.map((s) => s.id).sort());
  });

  it('asks no shared template which trigger or sink it is', async () => {
    const ids = [...TRIGGERS.map((t) => t.id), ...SINKS.map((s) => s.id), 'sqsSink', 'noSink', 'batch'];
    const asking = new RegExp(`\\bis\\.(${ids.join('|')})\\b`);
    const shared = ['project', 'shared', 'partials'];
    for (const layer of shared) {
      const paths = (await readdir(join(TEMPLATES_DIR, layer), { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
      for (const entry of paths) {
        const path = join(entry.parentPath, entry.name);
        expect(await readFile(path, 'utf8'), path).not.toMatch(asking);
      }
    }
  });
});
