/**
 * The local bench bundles the Node.js twin as `sam build` does: template.yaml's esbuild
 * BuildProperties read into esbuild's options (SAM's defaults where they are silent), and
 * anything it cannot read refused with one line rather than bundled otherwise.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { esbuildOptions } from '../src/bench/churn/node-bundle.js';
import { UserError } from '../src/errors.js';
import { parseCfnYaml } from '../src/project/cfn-yaml.js';
import { renderProject } from '../src/scaffold/render.js';
import { resolveSpec } from '../src/scaffold/spec.js';

const read = (properties: unknown) => esbuildOptions('NodeTwinFunction', properties, '/project/twins/node', '/out');

function refusal(properties: unknown): string {
  try {
    read(properties);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('the Node.js twin bundle options', () => {
  it("are the example template's: one minified ES module index.mjs for node22, with require() for the SDK", () => {
    const files = renderProject(resolveSpec({ name: 'churn', example: 'churn' }));
    const template = parseCfnYaml(files.get('template.yaml')!) as { Resources: Record<string, { Metadata?: Record<string, unknown> }> };
    const metadata = template.Resources.NodeTwinFunction!.Metadata!;
    expect(metadata.BuildMethod).toBe('esbuild');
    expect(read(metadata.BuildProperties)).toEqual({
      bundle: true,
      platform: 'node',
      outdir: '/out',
      absWorkingDir: '/project/twins/node',
      logLevel: 'silent',
      entryPoints: ['/project/twins/node/index.mjs'],
      format: 'esm',
      outExtension: { '.js': '.mjs' },
      target: ['node22'],
      minify: true,
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    });
  });

  it("take SAM's defaults where the template is silent", () => {
    expect(read({ EntryPoints: ['app.ts'] })).toMatchObject({
      target: 'es2020',
      format: 'cjs',
      minify: true,
      entryPoints: ['/project/twins/node/app.ts'],
    });
    expect(read({ EntryPoints: ['a.js'], Target: 'es2022, node20', Minify: false })).toMatchObject({
      target: ['es2022', 'node20'],
      minify: false,
    });
  });

  it('refuse what they cannot read, naming the property', () => {
    expect(refusal({ EntryPoints: ['a.js'], Loader: ['.json=copy'] })).toBe(
      "template.yaml: NodeTwinFunction's Metadata.BuildProperties: lambda-kit bench does not know Loader; it knows EntryPoints, Format, Target, Minify, Sourcemap, External, OutExtension, Banner.",
    );
    expect(refusal({ EntryPoints: 'index.mjs' })).toMatch(/EntryPoints must be a list of files\.$/);
    expect(refusal({ EntryPoints: ['a.js'], Format: 'iife' })).toMatch(/Format must be esm or cjs\.$/);
    expect(refusal({ EntryPoints: ['a.js'], OutExtension: ['.mjs'] })).toMatch(/OutExtension must be a list of \.from=\.to entries\.$/);
    expect(refusal({ Minify: true })).toBe("template.yaml: NodeTwinFunction's Metadata.BuildProperties has no EntryPoints.");
    expect(refusal(undefined)).toBe(
      "template.yaml: NodeTwinFunction's Metadata.BuildProperties must be a mapping with at least EntryPoints.",
    );
  });

  it('either read any mapping or refuse it with a UserError, never anything else', () => {
    const keys = fc.constantFrom(
      'EntryPoints',
      'Format',
      'Target',
      'Minify',
      'Sourcemap',
      'External',
      'OutExtension',
      'Banner',
      'Loader',
      '__proto__',
      'toString',
    );
    const values = fc.oneof(fc.string(), fc.boolean(), fc.array(fc.string(), { maxLength: 3 }), fc.constant(null), fc.integer());
    fc.assert(
      fc.property(fc.dictionary(keys, values, { maxKeys: 6 }), (properties) => {
        try {
          const options = read(properties);
          expect(Array.isArray(options.entryPoints)).toBe(true);
          for (const entry of options.entryPoints as string[]) expect(entry.startsWith('/project/twins/node/')).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(UserError);
          expect((error as Error).message).not.toContain('\n');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('split Banner and OutExtension entries at their first =, keeping the rest whole', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z.]{1,5}$/), fc.string(), (key, text) => {
        expect(read({ EntryPoints: ['a.js'], Banner: [`${key}=${text}`] }).banner).toEqual({ [key]: text });
      }),
    );
  });
});
