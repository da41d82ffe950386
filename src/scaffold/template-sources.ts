/**
 * Reading templates/ and turning it into Handlebars template functions, either from the
 * precompiled bundle that `npm run build` writes (fast: the runtime alone, no parsing) or by
 * compiling the sources (for development, and for template folders given in tests).
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HelperDelegate, TemplateDelegate } from 'handlebars';

export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

export const COMPILE_OPTIONS = { noEscape: true, strict: true } as const;

const require = createRequire(import.meta.url);
const BUNDLE = '../templates.precompiled.cjs';

/** What running a twin's code in a checkout leaves beside it; never a template. */
const LEFTOVERS = /(^|\/)(__pycache__|node_modules)\//;

/** Every template file below `dir` (posix path relative to it → source), and a hash of them all. */
export function readTemplateSources(dir: string): { files: Map<string, string>; hash: string } {
  const files = new Map<string, string>();
  const hash = createHash('sha256');
  const paths = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .filter((path) => path.includes('/') && !LEFTOVERS.test(path))
    .sort();
  for (const path of paths) {
    const source = readFileSync(join(dir, path), 'utf8');
    files.set(path, source);
    hash.update(`${path}\0${source}\0`);
  }
  return { files, hash: hash.digest('hex') };
}

export interface CompiledTemplates {
  /** Template path (e.g. `project/Cargo.toml`, `partials/sam/events.hbs`) → its function. */
  templates: Map<string, TemplateDelegate>;
  partials: Record<string, TemplateDelegate>;
}

interface HandlebarsLike {
  create(): HandlebarsLike;
  template(spec: unknown): TemplateDelegate;
  compile(source: string, options: object): TemplateDelegate;
  registerPartial(name: string, partial: TemplateDelegate): void;
  registerHelper(name: string, helper: HelperDelegate): void;
}

/**
 * Every `.hbs` file is a partial, never an output file: `partials/sam/alarms.hbs` is `sam/alarms`,
 * and a trigger's or sink's fragment keeps its folder, `trigger/kinesis/sam/events.hbs` being
 * `trigger/kinesis/sam/events`.
 */
const isPartial = (path: string) => path.endsWith('.hbs');
const partialName = (path: string) => path.replace(/^partials\//, '').slice(0, -'.hbs'.length);

/** What `fragment` names when the trigger or sink has no such fragment: it renders nothing. */
const NO_FRAGMENT = 'fragment/none';

/**
 * `{{> (fragment "trigger" "sam/events")}}`: the current trigger's (or sink's) fragment of that
 * name, so shared templates include what each brings without naming any of them.
 */
function fragmentHelper(partials: Record<string, TemplateDelegate>): HelperDelegate {
  return (layer: unknown, part: unknown, options: { data: { root: Record<string, unknown> } }) => {
    if ((layer !== 'trigger' && layer !== 'sink') || typeof part !== 'string') {
      throw new Error(`fragment wants "trigger" or "sink" and a name, as in (fragment "trigger" "sam/events")`);
    }
    const name = `${layer}/${String(options.data.root[layer])}/${part}`;
    return name in partials ? name : NO_FRAGMENT;
  };
}

export function loadTemplates(dir: string): CompiledTemplates {
  const { files, hash } = readTemplateSources(dir);
  let bundle: { hash: string; templates: Record<string, unknown> } | undefined;
  try {
    bundle = require(BUNDLE);
  } catch {
    bundle = undefined;
  }
  const precompiled = bundle?.hash === hash ? bundle.templates : undefined;
  const engine = (precompiled ? require('handlebars/runtime') : require('handlebars')) as { default?: HandlebarsLike } & HandlebarsLike;
  const handlebars = (engine.default ?? engine).create();

  const templates = new Map<string, TemplateDelegate>();
  const partials: Record<string, TemplateDelegate> = {};
  for (const [path, source] of files) {
    const fn = precompiled ? handlebars.template(precompiled[path]) : handlebars.compile(source, COMPILE_OPTIONS);
    if (isPartial(path)) {
      partials[partialName(path)] = fn;
      handlebars.registerPartial(partialName(path), fn);
    } else {
      templates.set(path, fn);
    }
  }
  handlebars.registerPartial(NO_FRAGMENT, () => '');
  handlebars.registerHelper('fragment', fragmentHelper(partials));
  return { templates, partials };
}
