/**
 * renderProject: a validated spec in, the project's files out (relative path → contents).
 * Pure apart from reading this package's own templates; it never touches the target directory.
 */
import { COGNITO_ISSUER, arch as archRow, costPerMillion, formatDollars, sink as findSink, trigger as findTrigger } from './catalog.js';
import type { ProjectSpec } from './spec.js';
import { TEMPLATES_DIR, loadTemplates } from './template-sources.js';
import { esbuildDependency, packageVersion, toolDependency } from '../version.js';

/**
 * npm drops some dotfiles from published packages (.gitignore among them), so files and folders
 * whose names start with a dot ship under another name.
 */
const RENAMES: Record<string, string> = { _gitignore: '.gitignore', _cargo: '.cargo' };

/** The path a template is written to: each renamed segment of `rel` takes its real name. */
export function outputPath(rel: string): string {
  return rel
    .split('/')
    .map((segment) => RENAMES[segment] ?? segment)
    .join('/');
}

/** The variables every template sees; templates/README.md documents each. */
export function templateContext(spec: ProjectSpec) {
  const { api } = spec;
  const triggerRow = findTrigger(spec.trigger);
  const sinkRow = findSink(spec.sink);
  /** The AWS SDK clients the function builds: its sink's, and SQS to park poison records on. */
  const sdkClients = new Set<string>([sinkRow.sdkClient, triggerRow.parksPoison ? 'sqs' : ''].filter(Boolean));
  return {
    ...spec,
    crateIdent: spec.name.replaceAll('-', '_'),
    /** The trigger's and the sink's catalog rows (catalog.ts): what shared templates ask of them. */
    triggerRow,
    sinkRow,
    is: {
      churn: spec.example === 'churn',
      httpApi: api === 'http',
      restApi: api === 'rest',
      /** The function calls AWS itself (its sink, or the queue it parks poison records on). */
      callsAws: sdkClients.size > 0,
      dynamodbClient: sdkClients.has('dynamodb'),
      sqsClient: sdkClients.has('sqs'),
      /** The sink built an SQS client, `sqs` in main.rs, which the poison parking reuses. */
      sqsSinkClient: sinkRow.sdkClient === 'sqs',
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
    sinkEnv: sinkRow.env,
    /** SQS wants a source queue's visibility timeout at 6 × the function's timeout, at least. */
    visibilityTimeout: 6 * spec.timeout,
    eventFile: `events/${spec.trigger}.json`,
    cargoLambdaArch: archRow(spec.arch).cargoLambdaFlag,
    rustTarget: archRow(spec.arch).rustTarget,
    toolVersion: packageVersion(),
    /** `^0.1.0`, or `file:/path/to/clone` from a clone; escaped for a JSON string. */
    toolDependency: JSON.stringify(toolDependency()).slice(1, -1),
    /** The churn example's Node.js twin is bundled with esbuild, which the project installs itself. */
    esbuildDependency: esbuildDependency(),
    allowScripts: allowScripts(spec),
    costPerMillion: formatDollars(costPerMillion(spec.memory, spec.arch)),
  };
}

/**
 * The generated package.json's `allowScripts` (a JSON object, or '' for none): the install scripts
 * this project approves, so npm 11 has no notice on its first `npm install`. esbuild's postinstall
 * (the churn twins' bundler) and, from a clone, create-fast-lambda's own `prepare` (its build).
 */
function allowScripts(spec: ProjectSpec): string {
  const tool = toolDependency();
  // npm names a linked folder's scripts by its spec (file:/path/to/clone), not by the package's name.
  const approved = [...(tool.startsWith('file:') ? [tool] : []), ...(spec.example === 'churn' && spec.twins ? ['esbuild'] : [])];
  return approved.length === 0 ? '' : `{ ${approved.map((name) => `${JSON.stringify(name)}: true`).join(', ')} }`;
}

function cognitoPool(spec: ProjectSpec): { region: string; poolId: string } {
  const match = spec.auth === 'jwt' && spec.api === 'rest' ? COGNITO_ISSUER.exec(spec.jwtIssuer) : null;
  return { region: match?.[1] ?? '', poolId: match?.[2] ?? '' };
}

/** The template layers a spec draws on, in order. An example is one layer of its own. */
export function layersFor(spec: ProjectSpec): string[] {
  if (spec.example !== 'none') return ['shared', `example/${spec.example}`];
  return ['shared', 'project', `trigger/${spec.trigger}`, `sink/${spec.sink}`];
}

/** An example's Node.js and Python twins live here; they are left out with twins off. */
export const TWIN_DIRS = ['twins/node', 'twins/python'] as const;

/**
 * The churn model ships in each function's own package: the Rust crate embeds model.json, and
 * each twin reads its copy at init. One source in templates/, written three times.
 */
function withModelCopies(spec: ProjectSpec, files: Map<string, string>): void {
  const model = files.get('model.json');
  if (spec.example !== 'churn' || !spec.twins || model === undefined) return;
  for (const dir of TWIN_DIRS) files.set(`${dir}/model.json`, model);
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
      if (!spec.twins && TWIN_DIRS.some((dir) => rel.startsWith(`${dir}/`))) continue;
      const target = outputPath(rel);
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
  withModelCopies(spec, files);
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}
