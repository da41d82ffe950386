/**
 * renderProject: a validated spec in, the project's files out (relative path → contents).
 * Pure apart from reading this package's own templates; it never touches the target directory.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { arch as archRow, costPerMillion, formatDollars, sink as sinkRow } from './catalog.js';
import type { ProjectSpec } from './spec.js';
import { packageVersion } from '../version.js';

export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

/** npm drops dotfiles from published packages, so they ship under another name. */
const RENAMES: Record<string, string> = { _gitignore: '.gitignore' };

/** The variables every template sees; templates/README.md documents each. */
export function templateContext(spec: ProjectSpec) {
  const { trigger, sink, api } = spec;
  return {
    ...spec,
    crateIdent: spec.name.replaceAll('-', '_'),
    is: {
      api: trigger === 'api',
      kinesis: trigger === 'kinesis',
      s3: trigger === 's3',
      sqs: trigger === 'sqs',
      batch: trigger === 'kinesis' || trigger === 'sqs',
      httpApi: api === 'http',
      restApi: api === 'rest',
      dynamodb: sink === 'dynamodb',
      sqsSink: sink === 'sqs',
      noSink: sink === 'none',
      arm64: spec.arch === 'arm64',
      x86_64: spec.arch === 'x86_64',
    },
    sinkEnv: sinkRow(sink).env,
    /** SQS wants a source queue's visibility timeout at 6 × the function's timeout, at least. */
    visibilityTimeout: 6 * spec.timeout,
    eventFile: `events/${trigger}.json`,
    cargoLambdaArch: archRow(spec.arch).cargoLambdaFlag,
    rustTarget: archRow(spec.arch).rustTarget,
    toolVersion: packageVersion(),
    costPerMillion: formatDollars(costPerMillion(spec.memory, spec.arch)),
  };
}

function listFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

const toPosix = (path: string) => path.split(sep).join('/');

function engineWithPartials(templatesDir: string): typeof Handlebars {
  const engine = Handlebars.create();
  const partialsDir = join(templatesDir, 'partials');
  for (const file of listFiles(partialsDir)) {
    if (!file.endsWith('.hbs')) continue;
    const name = toPosix(relative(partialsDir, file)).slice(0, -'.hbs'.length);
    engine.registerPartial(name, readFileSync(file, 'utf8'));
  }
  return engine;
}

/** The template layers a spec draws on, in order. */
export function layersFor(spec: ProjectSpec): string[] {
  return ['project', `trigger/${spec.trigger}`, `sink/${spec.sink}`];
}

export function renderProject(spec: ProjectSpec, templatesDir = TEMPLATES_DIR): Map<string, string> {
  const engine = engineWithPartials(templatesDir);
  const context = templateContext(spec);
  const files = new Map<string, string>();
  const origin = new Map<string, string>();

  for (const layer of layersFor(spec)) {
    const layerDir = join(templatesDir, layer);
    for (const file of listFiles(layerDir)) {
      const rel = toPosix(relative(layerDir, file));
      const base = rel.split('/').at(-1)!;
      const target = base in RENAMES ? rel.slice(0, -base.length) + RENAMES[base] : rel;
      if (origin.has(target)) {
        throw new Error(`templates: ${target} comes from both ${origin.get(target)} and ${layer}`);
      }
      let contents: string;
      try {
        const template = engine.compile(readFileSync(file, 'utf8'), { noEscape: true, strict: true });
        contents = template(context);
      } catch (error) {
        throw new Error(`templates/${layer}/${rel}: ${(error as Error).message}`);
      }
      origin.set(target, layer);
      files.set(target, contents);
    }
  }
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}
