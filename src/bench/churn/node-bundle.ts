/**
 * The Node.js twin as `sam build` packages it with `BuildMethod: esbuild`: template.yaml's
 * BuildProperties (SAM's PascalCase names) turned into esbuild's options, with SAM's defaults,
 * so that the local bench runs the same bundle Lambda runs.
 */
import { join } from 'node:path';
import type { BuildOptions } from 'esbuild';
import { UserError } from '../../errors.js';

/** What SAM passes to esbuild when BuildProperties leave it out (aws-lambda-builders). */
const SAM_DEFAULTS = { target: 'es2020', format: 'cjs', minify: true } as const;

type Reader = (value: unknown, options: BuildOptions) => string | undefined;

const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

/** `['js=import …']` → `{ js: 'import …' }`: each entry splits at its first `=`. */
function pairs(value: string[]): Record<string, string> | undefined {
  const result: Record<string, string> = {};
  for (const entry of value) {
    const equals = entry.indexOf('=');
    if (equals < 1) return undefined;
    result[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  return result;
}

/** Each BuildProperty lambda-kit bench knows: it sets the option, or says what is wrong. */
const PROPERTIES: Record<string, Reader> = {
  EntryPoints: (value, options) => {
    if (!isStringList(value) || value.length === 0) return 'must be a list of files';
    options.entryPoints = value;
    return undefined;
  },
  Format: (value, options) => {
    if (value !== 'esm' && value !== 'cjs') return 'must be esm or cjs';
    options.format = value;
    return undefined;
  },
  Target: (value, options) => {
    if (typeof value !== 'string' || value.trim() === '') return 'must be an esbuild target such as node22';
    options.target = value.split(',').map((target) => target.trim());
    return undefined;
  },
  Minify: (value, options) => {
    if (typeof value !== 'boolean') return 'must be true or false';
    options.minify = value;
    return undefined;
  },
  Sourcemap: (value, options) => {
    if (typeof value !== 'boolean') return 'must be true or false';
    options.sourcemap = value;
    return undefined;
  },
  External: (value, options) => {
    if (!isStringList(value)) return 'must be a list of module names';
    options.external = value;
    return undefined;
  },
  OutExtension: (value, options) => {
    const extensions = isStringList(value) ? pairs(value) : undefined;
    if (!extensions) return 'must be a list of .from=.to entries';
    options.outExtension = extensions;
    return undefined;
  },
  Banner: (value, options) => {
    const banner = isStringList(value) ? pairs(value) : undefined;
    if (!banner) return 'must be a list of type=text entries';
    options.banner = banner;
    return undefined;
  },
};

/**
 * esbuild's options for the function in `codeDir` whose Metadata has these BuildProperties,
 * writing to `outDir`. Throws a UserError naming a property it does not know or cannot read:
 * a bundle unlike SAM's would measure another package.
 */
export function esbuildOptions(logicalId: string, buildProperties: unknown, codeDir: string, outDir: string): BuildOptions {
  const where = `template.yaml: ${logicalId}'s Metadata.BuildProperties`;
  if (typeof buildProperties !== 'object' || buildProperties === null || Array.isArray(buildProperties)) {
    throw new UserError(`${where} must be a mapping with at least EntryPoints.`);
  }
  const options: BuildOptions = {
    bundle: true,
    platform: 'node',
    outdir: outDir,
    absWorkingDir: codeDir,
    logLevel: 'silent',
    ...SAM_DEFAULTS,
  };
  for (const [name, value] of Object.entries(buildProperties)) {
    const read = Object.hasOwn(PROPERTIES, name) ? PROPERTIES[name] : undefined;
    if (!read) throw new UserError(`${where}: lambda-kit bench does not know ${name}; it knows ${Object.keys(PROPERTIES).join(', ')}.`);
    const problem = read(value, options);
    if (problem) throw new UserError(`${where}: ${name} ${problem}.`);
  }
  if (!options.entryPoints) throw new UserError(`${where} has no EntryPoints.`);
  options.entryPoints = (options.entryPoints as string[]).map((entry) => join(codeDir, entry));
  return options;
}

/** Bundles with the esbuild package, the project's (an optional peer of lambda-kit); one line on failure. */
export async function bundleWithEsbuild(options: BuildOptions): Promise<void> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new UserError('lambda-kit bench bundles the Node.js twin with esbuild, as sam build does, and esbuild is not installed.', {
      hint: 'Install it beside lambda-kit: npm install --save-dev esbuild',
    });
  }
  try {
    await esbuild.build(options);
  } catch (error) {
    const first = (error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors?.[0];
    const where = first?.location ? `${first.location.file}:${first.location.line}: ` : '';
    throw new UserError(`esbuild could not bundle the Node.js twin: ${where}${first?.text ?? String(error).split('\n')[0]}`);
  }
}
