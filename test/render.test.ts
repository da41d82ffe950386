import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderProject } from '../src/scaffold/render.js';
import { packageRoot } from '../src/version.js';
import { resolveSpec, type ProjectSpec } from '../src/scaffold/spec.js';
import { ALL_SPECS } from './support/specs.js';

describe('renderProject', () => {
  it.each(ALL_SPECS.map((spec) => [`${spec.trigger}${spec.api === 'none' ? '' : `/${spec.api}`} → ${spec.sink}, ${spec.arch}`, spec]))(
    'renders %s',
    (_label, spec) => {
      const files = renderProject(spec as ProjectSpec);
      for (const path of ['Cargo.toml', 'src/main.rs', 'template.yaml', 'samconfig.toml', 'README.md', 'package.json', '.gitignore']) {
        expect(files.has(path), path).toBe(true);
      }
      expect(files.has(`events/${spec.trigger}.json`)).toBe(true);
      expect([...files.keys()].filter((p) => p.startsWith('events/'))).toEqual([`events/${spec.trigger}.json`]);
      expect([...files.keys()].some((p) => p.includes('_gitignore'))).toBe(false);
      for (const [path, contents] of files) {
        expect(contents, path).not.toMatch(/\{\{|\}\}/);
      }
      expect(JSON.parse(files.get(`events/${spec.trigger}.json`)!)).toBeTypeOf('object');
      const pkg = JSON.parse(files.get('package.json')!);
      expect(pkg).toMatchObject({ name: spec.name, private: true });
      // Rendered from this checkout, not from a registry install: the project links to it.
      expect(pkg.devDependencies['create-fast-lambda']).toBe(`file:${packageRoot()}`);
    },
  );

  it('is deterministic', () => {
    const spec = ALL_SPECS[0]!;
    expect([...renderProject(spec)]).toEqual([...renderProject(spec)]);
  });

  async function fixture(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'cfl-templates-'));
    for (const [path, contents] of Object.entries(files)) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), contents);
    }
    return dir;
  }

  // Through the validator, so a field added to ProjectSpec can't leave this spec stale.
  const spec = resolveSpec({ name: 'a', trigger: 'sqs', sink: 'none', arch: 'arm64', memory: '128', timeout: '3' });

  it('reports a misspelt variable instead of rendering an empty string', async () => {
    const dir = await fixture({ 'project/x.txt': '{{nmae}}' });
    expect(() => renderProject(spec, dir)).toThrow(/templates\/project\/x.txt: "nmae" not defined/);
  });

  it('reports two layers providing the same file', async () => {
    const dir = await fixture({ 'project/src/handler.rs': 'a', 'trigger/sqs/src/handler.rs': 'b' });
    expect(() => renderProject(spec, dir)).toThrow(/src\/handler.rs comes from both project and trigger\/sqs/);
  });

  it('registers partials by path and indents standalone ones', async () => {
    const dir = await fixture({
      'partials/sam/thing.hbs': 'A: 1\nB: {{memory}}\n',
      'project/t.yaml': 'Root:\n  {{> sam/thing}}\n',
      'project/_gitignore': 'target\n',
    });
    const files = renderProject(spec, dir);
    expect(files.get('t.yaml')).toBe('Root:\n  A: 1\n  B: 128\n');
    expect(files.get('.gitignore')).toBe('target\n');
  });
});

describe('the precompiled templates in dist/', () => {
  it('render exactly what compiling templates/ renders', async () => {
    // dist/ is what the bins run: built by `npm test` (tsc + scripts/precompile-templates.mjs).
    // dist/ has no .d.ts: import it by URL and give it the types of the sources it was built from.
    const built = (path: string) => pathToFileURL(join(packageRoot(), 'dist', path)).href;
    const dist = (await import(built('scaffold/render.js'))) as typeof import('../src/scaffold/render.js');
    const sources = (await import(built('scaffold/template-sources.js'))) as typeof import('../src/scaffold/template-sources.js');
    const { createRequire } = await import('node:module');
    const bundle = createRequire(import.meta.url)('../dist/templates.precompiled.cjs') as { hash: string };
    expect(bundle.hash, 'dist/ is stale: run npm run build').toBe(sources.readTemplateSources(sources.TEMPLATES_DIR).hash);
    for (const spec of ALL_SPECS) {
      expect(dist.renderProject(spec)).toEqual(renderProject(spec));
    }
  });
});
