import { readFileSync, realpathSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';

interface PackageJson {
  version: string;
  devDependencies: Record<string, string>;
}

let manifest: PackageJson | undefined;

function packageJson(): PackageJson {
  manifest ??= JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as PackageJson;
  return manifest;
}

/** This package's version, read once from its package.json. */
export function packageVersion(): string {
  return packageJson().version;
}

/**
 * The esbuild range this package is tested with. esbuild is an optional peer, not a dependency:
 * only the churn example's bench and `sam build` of its Node.js twin use it, so a project that asks
 * for it gets it, and nobody else downloads it or sees npm's notice about its install script.
 */
export function esbuildDependency(): string {
  const range = packageJson().devDependencies.esbuild;
  if (!range) throw new Error('package.json has no esbuild in devDependencies');
  return range;
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
