/**
 * toolDependency: a generated project asks for the published version when create-fast-lambda was
 * installed from a registry, and links to the folder it ran from when that is a clone.
 */
import { realpathSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packageRoot, toolDependency } from '../src/version.js';
import { ROOT } from './support/cli.js';

describe('toolDependency', () => {
  it.each([
    ['/home/me/.npm/_npx/4f1c/node_modules/create-fast-lambda', '^0.3.1'],
    ['/usr/local/lib/node_modules/create-fast-lambda', '^0.3.1'],
    ['/home/me/app/node_modules/create-fast-lambda', '^0.3.1'],
    ['/home/me/src/create-fast-lambda', 'file:/home/me/src/create-fast-lambda'],
    ['/home/me/my node_modules notes/cfl', 'file:/home/me/my node_modules notes/cfl'],
    ['/home/me/node_modules2/cfl', 'file:/home/me/node_modules2/cfl'],
  ])('%s → %s', (root, dependency) => {
    expect(toolDependency(root, '0.3.1')).toBe(dependency);
  });

  it('is the version exactly when a path segment is node_modules', () => {
    const segment = fc.oneof(
      fc.constantFrom('node_modules', 'node_modules_', 'src', 'a b', '.npm'),
      fc.stringMatching(/^[^/\u0000]{1,12}$/),
    );
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 8 }), (segments) => {
        const root = `/${segments.join('/')}`;
        expect(toolDependency(root, '1.2.3')).toBe(segments.includes('node_modules') ? '^1.2.3' : `file:${root}`);
      }),
      { numRuns: 500 },
    );
  });

  it('runs from this checkout here, so it links to it', () => {
    expect(packageRoot()).toBe(realpathSync(ROOT));
    expect(toolDependency()).toBe(`file:${realpathSync(ROOT)}`);
  });
});
