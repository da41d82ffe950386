/**
 * renderProject: a validated spec in, the project's files out (relative path → contents).
 * Pure apart from reading this package's own templates; it never touches the target directory.
 */
import { fileURLToPath } from 'node:url';
import { COGNITO_ISSUER, arch as archRow, costPerMillion, formatDollars, sink as sinkRow } from './catalog.js';
import type { ProjectSpec } from './spec.js';
import { loadTemplates } from './template-sources.js';
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
      iamAuth: spec.auth === 'iam',
      jwtAuth: spec.auth === 'jwt',
      publicAuth: spec.auth === 'public',
      /** A REST API's JWT authorizer: Cognito, which leaves the audience check to the function. */
      cognitoJwt: spec.api === 'rest' && spec.auth === 'jwt',
    },
    /** With a REST API, JWTs come from a Cognito user pool, named by its issuer URL. */
    cognito: cognitoPool(spec),
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

function cognitoPool(spec: ProjectSpec): { region: string; poolId: string } {
  const match = spec.auth === 'jwt' && spec.api === 'rest' ? COGNITO_ISSUER.exec(spec.jwtIssuer) : null;
  return { region: match?.[1] ?? '', poolId: match?.[2] ?? '' };
}

/** The template layers a spec draws on, in order. */
export function layersFor(spec: ProjectSpec): string[] {
  return ['project', `trigger/${spec.trigger}`, `sink/${spec.sink}`];
}

export function renderProject(spec: ProjectSpec, templatesDir = TEMPLATES_DIR): Map<string, string> {
  const { templates } = loadTemplates(templatesDir);
  const context = templateContext(spec);
  const files = new Map<string, string>();
  const origin = new Map<string, string>();

  for (const layer of layersFor(spec)) {
    for (const [path, template] of templates) {
      if (!path.startsWith(`${layer}/`)) continue;
      const rel = path.slice(layer.length + 1);
      const base = rel.split('/').at(-1)!;
      const target = base in RENAMES ? rel.slice(0, -base.length) + RENAMES[base] : rel;
      if (origin.has(target)) {
        throw new Error(`templates: ${target} comes from both ${origin.get(target)} and ${layer}`);
      }
      try {
        files.set(target, template(context));
      } catch (error) {
        throw new Error(`templates/${path}: ${(error as Error).message}`);
      }
      origin.set(target, layer);
    }
  }
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}
