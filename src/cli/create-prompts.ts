/**
 * The interactive flow: one question per answer not given as a flag, each checked by the same
 * functions as the flags. Ctrl-C or Esc at any prompt cancels with exit 130 and writes nothing.
 */
import { basename, resolve } from 'node:path';
import * as p from '@clack/prompts';
import kleur from 'kleur';
import {
  APIS,
  ARCHS,
  AUTHS,
  DEFAULT_MEMORY,
  DEFAULT_NAME,
  EXAMPLES,
  MEMORY_CHOICES,
  S3_MAX_NAME_LENGTH,
  SINKS,
  TRIGGERS,
  example as exampleRow,
  hostArch,
  memoryHint,
  triggerOptions,
  type ApiId,
  type ArchId,
  type AuthId,
  type ExampleId,
  type SinkId,
  type TriggerId,
} from '../scaffold/catalog.js';
import {
  defaultSink,
  defaultTimeout,
  jwtAudienceProblem,
  jwtIssuerProblem,
  memoryProblem,
  nameProblem,
  resolveSpec,
  timeoutProblem,
  type ProjectSpec,
  type RawAnswers,
} from '../scaffold/spec.js';
import { projectNameFromDirectory } from '../scaffold/project-name.js';
import { inspectTarget, targetProblem, writeProject } from '../scaffold/write.js';
import { renderProject } from '../scaffold/render.js';
import { PUBLIC_API_WARNING, describeLeftovers, describeSpec, displayDir, nextSteps } from './create-messages.js';
import { CancelledError, EXIT } from '../errors.js';

function answered<T>(value: T): Exclude<T, symbol> {
  if (p.isCancel(value)) throw new CancelledError();
  return value as Exclude<T, symbol>;
}

/** The flag's answer if given, else the person's choice among a catalog's rows. */
async function choose<T extends string>(
  given: string | undefined,
  message: string,
  rows: readonly { id: T; label: string; hint: string }[],
  initialValue?: T,
): Promise<T> {
  if (given !== undefined) return given as T;
  const options = rows.map((row) => ({ value: row.id, label: row.label, hint: row.hint }));
  return answered(await p.select<T>({ message, options: options as never, ...(initialValue ? { initialValue } : {}) })) as T;
}

/** The name a directory suggests, as the flags path derives it; the prompt re-asks if the trigger refuses it. */
function nameFromDirectory(dir: string): string {
  return projectNameFromDirectory(basename(resolve(dir))).name ?? DEFAULT_NAME;
}

async function askName(initial: string, trigger?: TriggerId, twins = false): Promise<string> {
  const value = await p.text({
    message: 'Project name',
    placeholder: initial,
    defaultValue: initial,
    validate: (v) => nameProblem(v || initial, trigger, twins),
  });
  return answered(value) || initial;
}

/** Asks until the directory can take a project; `dir` is where the answers say to write. */
async function settleDirectory(dir: string): Promise<string> {
  for (;;) {
    const problem = targetProblem(displayDir(dir), await inspectTarget(dir));
    if (!problem) return dir;
    p.log.warn(problem);
    const next = answered(
      await p.select({
        message: 'What now?',
        options: [
          { value: 'other', label: 'Choose another directory' },
          { value: 'cancel', label: 'Cancel' },
        ],
      }),
    );
    if (next === 'cancel') throw new CancelledError();
    dir = answered(
      await p.text({
        message: 'Directory',
        placeholder: `${dir}-2`,
        validate: (v) => (v?.trim() ? undefined : 'a directory is required'),
      }),
    );
  }
}

export async function createInteractively(raw: RawAnswers, dirArg: string | undefined): Promise<number> {
  // Flags given alongside the prompts are checked first, so a typo fails before any question.
  resolveSpec({ ...raw, name: raw.name ?? DEFAULT_NAME }, { partial: true });

  p.intro(kleur.bold(' create-fast-lambda '));
  let dir = dirArg === undefined ? undefined : await settleDirectory(dirArg);

  let name = raw.name ?? (await askName(dir === undefined ? DEFAULT_NAME : nameFromDirectory(dir)));

  // The examples are complete applications: offered beside the triggers, they answer the
  // trigger and the sink questions themselves.
  let example = raw.example as ExampleId | undefined;
  if (example === undefined && raw.trigger === undefined && raw.sink === undefined) {
    const picked = await choose<string>(undefined, 'What triggers the function?', [
      ...TRIGGERS,
      ...EXAMPLES.map((row) => ({ id: `example:${row.id}`, label: `${row.label} example`, hint: row.hint })),
    ]);
    if (picked.startsWith('example:')) example = picked.slice('example:'.length) as ExampleId;
    else raw = { ...raw, trigger: picked };
  }
  const trigger = example ? exampleRow(example).trigger : await choose<TriggerId>(raw.trigger, 'What triggers the function?', TRIGGERS);
  const twins =
    example === undefined
      ? undefined
      : (raw.twins ??
        String(
          answered(await p.confirm({ message: 'Also generate its Node.js and Python twins, for lambda-kit bench?', initialValue: true })),
        ));
  // With twins, <name>-python must fit Lambda's function names too.
  const withTwins = twins === 'true';
  while (nameProblem(name, trigger, withTwins)) {
    p.log.warn(`The name ${name} ${nameProblem(name, trigger, withTwins)}.`);
    name = await askName(name.slice(0, S3_MAX_NAME_LENGTH).replace(/-+$/, ''), trigger, withTwins);
  }

  let api: ApiId | 'none' = 'none';
  let auth: AuthId | undefined;
  let jwtIssuer = raw.jwtIssuer;
  let jwtAudience = raw.jwtAudience;
  if (trigger === 'api') {
    api = await choose<ApiId>(raw.api, 'Which API Gateway flavour?', APIS);
    auth = await choose<AuthId>(raw.auth, 'Who may call the API?', AUTHS);
    if (auth === 'jwt') {
      jwtIssuer ??= answered(
        await p.text({
          message: 'JWT issuer URL',
          placeholder: api === 'rest' ? 'https://cognito-idp.<region>.amazonaws.com/<pool id>' : 'https://example.auth0.com/',
          validate: (v) => jwtIssuerProblem(v ?? '', api),
        }),
      ).trim();
      jwtAudience ??= answered(
        await p.text({
          message: 'JWT audience (the client id or API identifier tokens are issued for)',
          validate: (v) => jwtAudienceProblem(v ?? ''),
        }),
      ).trim();
    }
    if (auth === 'public') p.log.warn(PUBLIC_API_WARNING);
  }

  // The trigger's own questions (the schedule's expression), from its catalog row.
  const options: Record<string, string> = {};
  for (const option of example ? [] : triggerOptions(trigger)) {
    options[option.key] =
      raw.options?.[option.key] ??
      (answered(
        await p.text({
          message: option.message,
          placeholder: option.default,
          defaultValue: option.default,
          validate: (v) => option.problem(v || option.default),
        }),
      ) ||
        option.default);
  }

  const sink = example ? exampleRow(example).sink : await choose<SinkId>(raw.sink, 'Where do results go?', SINKS, defaultSink(trigger));

  // This machine's architecture first in line: its first build needs no extra rustup target, and it runs here.
  const host = hostArch();
  const archRows = ARCHS.map((row) =>
    row.id === host ? { ...row, hint: `this machine's: builds and runs here as is; ${row.hint}` } : row,
  );
  const arch = await choose<ArchId>(raw.arch, 'Architecture', archRows, host);

  const memory = raw.memory ?? (await askMemory(arch));

  const timeoutDefault = String(defaultTimeout(trigger));
  const timeout =
    raw.timeout ??
    (answered(
      await p.text({
        message: 'Timeout in seconds',
        placeholder: timeoutDefault,
        defaultValue: timeoutDefault,
        validate: (v) => timeoutProblem(v || timeoutDefault, trigger, api),
      }),
    ) ||
      timeoutDefault);

  const spec = resolveSpec({
    ...raw,
    example,
    twins,
    name,
    trigger,
    api: trigger === 'api' ? api : undefined,
    auth,
    jwtIssuer,
    jwtAudience,
    sink,
    arch,
    memory,
    timeout,
    options,
  });
  dir = await settleDirectory(dir ?? spec.name);

  p.note(summary(spec, dir), 'Project');
  // No spinner: it puts the terminal in raw mode, where Ctrl-C is a key clack answers with
  // process.exit(0), half-way through the files. Without it Ctrl-C is a SIGINT, which
  // writeProject catches to remove what it wrote.
  p.log.step('Writing files');
  let outcome;
  try {
    outcome = await writeProject(dir, renderProject(spec));
  } catch (error) {
    p.log.error('Nothing was written');
    throw error;
  }
  p.log.success(`Created ${displayDir(dir)}`);
  if (outcome.leftovers) p.log.info(describeLeftovers(outcome.leftovers));
  p.note(
    nextSteps(spec, dir)
      .replace(/^Next steps:\n/, '')
      .replace(/^ {2}/gm, '')
      .trimEnd(),
    'Next steps',
  );
  p.outro(`Docs: ${displayDir(dir)}/README.md`);
  return EXIT.ok;
}

async function askMemory(arch: ArchId): Promise<string> {
  const choice = answered(
    await p.select<string>({
      message: 'Memory (MB); CPU grows with it',
      initialValue: String(DEFAULT_MEMORY),
      options: [
        ...MEMORY_CHOICES.map((mb) => ({ value: String(mb), label: `${mb} MB`, hint: memoryHint(mb, arch) })),
        { value: 'custom', label: 'Custom…', hint: '128-10240 MB' },
      ],
    }),
  );
  if (choice !== 'custom') return choice;
  return answered(
    await p.text({
      message: 'Memory in MB',
      placeholder: '2048',
      validate: (v) => memoryProblem(v ?? ''),
    }),
  ).trim();
}

function summary(spec: ProjectSpec, dir: string): string {
  return [
    `name       ${spec.name}`,
    `directory  ${displayDir(dir)}`,
    `function   ${describeSpec(spec)}`,
    `cost       ${memoryHint(spec.memory, spec.arch)}`,
  ].join('\n');
}
