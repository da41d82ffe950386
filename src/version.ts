import { readFileSync, realpathSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';

let version: string | undefined;

/** This package's version, read once from its package.json. */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return version;
}

/** The folder this package runs from, symbolic links resolved (an `npm link` leads back to the clone). */
export function packageRoot(): string {
  return realpathSync(fileURLToPath(new URL('../', import.meta.url)));
}

/**
 * What a generated project's package.json asks for to get lambda-kit: the published version when
 * this package was installed from a registry (it runs from inside a node_modules folder: npx's
 * cache, a global or a local install), else the folder it runs from, a clone, as `file:`, which npm
 * links without asking any registry, so a project made before the package is published installs.
 */
export function toolDependency(root: string = packageRoot(), toolVersion: string = packageVersion()): string {
  return root.split(sep).includes('node_modules') ? `^${toolVersion}` : `file:${root}`;
}
