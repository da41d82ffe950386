/**
 * esbuild is the churn project's own dependency, not lambda-kit's: a project with the twins asks
 * for it (and approves its install script, so npm 11 prints no notice), one without does not, and
 * the bench says in one line what to do when it is missing.
 */
import { cpSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { renderProject } from '../src/scaffold/render.js';
import { resolveSpec } from '../src/scaffold/spec.js';
import { ROOT, tempDir } from './support/cli.js';

/** How a project made from this clone asks for lambda-kit, and how npm names the clone's scripts. */
const CLONE_SPEC = `file:${realpathSync(ROOT)}`;

interface ProjectPackage {
  devDependencies: Record<string, string>;
  allowScripts?: Record<string, boolean>;
}

const projectPackage = (twins: string): ProjectPackage =>
  JSON.parse(renderProject(resolveSpec({ name: 'churn-demo', example: 'churn', twins })).get('package.json')!) as ProjectPackage;

describe("the churn project's package.json", () => {
  it('asks for the esbuild lambda-kit is tested with, and approves its install script, when it has the twins', () => {
    const ours = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as ProjectPackage;
    const pkg = projectPackage('true');
    expect(pkg.devDependencies.esbuild).toBe(ours.devDependencies.esbuild);
    // Run from this clone, the project links it, whose `prepare` builds it: approved too, by the spec npm knows it by.
    expect(pkg.allowScripts).toEqual({ [CLONE_SPEC]: true, esbuild: true });
    expect(Object.keys(pkg.devDependencies)).toContain('create-fast-lambda');
  });

  it('asks for nothing of esbuild without the twins', () => {
    const pkg = projectPackage('false');
    expect(pkg.devDependencies).not.toHaveProperty('esbuild');
    expect(pkg.allowScripts).toEqual({ [CLONE_SPEC]: true });
  });
});

describe('bundling the Node.js twin where esbuild is not installed', () => {
  it('fails with one line that says how to install it', async () => {
    // The built package, copied where no node_modules above it holds esbuild.
    const home = await tempDir('no-esbuild-');
    cpSync(join(ROOT, 'dist'), join(home, 'dist'), { recursive: true });
    writeFileSync(join(home, 'package.json'), JSON.stringify({ type: 'module' }));
    mkdirSync(join(home, 'twin'));
    const script = [
      "const { bundleWithEsbuild } = await import('./dist/bench/churn/node-bundle.js');",
      "try { await bundleWithEsbuild({ entryPoints: ['twin/index.mjs'], outdir: 'out' }); console.log('bundled'); }",
      'catch (error) { console.log(JSON.stringify({ name: error.name, message: error.message, hint: error.hint })); }',
    ].join('\n');
    const { stdout } = await execa('node', ['--input-type=module', '-e', script], { cwd: home });
    const failure = JSON.parse(stdout) as { name: string; message: string; hint: string };
    expect(failure.name).toBe('UserError');
    expect(failure.message).toMatch(/^lambda-kit bench bundles the Node\.js twin with esbuild, .*esbuild is not installed\.$/);
    expect(failure.message).not.toContain('\n');
    expect(failure.hint).toBe('Install it beside lambda-kit: npm install --save-dev esbuild');
  });
});
