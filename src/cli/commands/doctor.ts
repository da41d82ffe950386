/**
 * lambda-kit doctor [--deploy] [--json]: is everything this project needs installed and set up?
 * One row per tool or setting: what was found, what is needed, and the one line that fixes it.
 * Local work (build, invoke, bench --local) needs no AWS account, so the AWS region and
 * credentials are required only with --deploy; without it, their absence is a warning.
 */
import { basename } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import kleur from 'kleur';
import { parseCommandFlags } from '../../command-line.js';
import { EXIT } from '../../errors.js';
import { hasTemplate, loadProject, type Architecture, type Project } from '../../project/project.js';
import { AWS_CHECKS, AWS_COMMANDS, runChecks, type Check, type CheckId, type CheckStatus } from '../../tools/doctor.js';

const PROGRAM = 'lambda-kit doctor';

const OPTIONS = {
  deploy: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const HELP = `Check the tools and settings a project needs, and say how to fix what is missing.

Usage: lambda-kit doctor [options]

Checks node, cargo and rustc, cargo-lambda, zig, the Rust target of the project's architecture
(from template.yaml), the SAM CLI, and where the AWS region and credentials would come from.
It never calls AWS. Outside a project it checks what every project needs.

Building and invoking locally need no AWS account: a missing AWS region or credentials is a
warning, naming the commands that will need them (${AWS_COMMANDS.join(', ')}).

Options:
  --deploy      require the AWS region and credentials too, as deploying needs them
  --json        print the checks as JSON
  -h, --help    show this help

Exit codes: 0 all present (for local work; with --deploy, for deploying too), 1 something is
missing, 2 bad options.
`;

export const DOCTOR_CHECKS: CheckId[] = ['node', 'rust', 'cargo-lambda', 'zig', 'rust-target', 'sam', 'aws-region', 'aws-credentials'];

export async function main(args: string[]): Promise<number> {
  const values = parseCommandFlags(PROGRAM, args, OPTIONS, HELP);
  if (!values) return EXIT.ok;

  const cwd = process.cwd();
  // Outside a project doctor still has work to do; a broken template.yaml is an error, though.
  const project = hasTemplate(cwd) ? await loadProject(cwd) : undefined;
  const architectures = [...new Set(project?.functions.map((fn) => fn.architecture) ?? [])];
  const [first, ...others] = architectures;
  const found = await runChecks(DOCTOR_CHECKS, { cwd, architecture: first });
  // A second architecture in the same template needs its own Rust target too.
  for (const architecture of others) found.push(...(await runChecks(['rust-target'], { cwd, architecture })));
  const deploy = Boolean(values.deploy);
  const checks = deploy ? found : found.map(forLocalWork);

  const ok = checks.every((check) => check.status !== 'fail');
  if (values.json) {
    const where = project ? { dir: project.dir, architectures } : null;
    const readyToDeploy = found.every((check) => check.status !== 'fail');
    process.stdout.write(`${JSON.stringify({ ok, readyToDeploy, project: where, checks }, null, 2)}\n`);
  } else {
    const tty = Boolean(process.stdout.isTTY) && process.env.CI !== 'true';
    const columns = terminalColumns();
    process.stdout.write(tty ? formatTable(checks, project, architectures, columns) : formatLines(checks, project));
    const awsOnlyWarned = !deploy && found.some((check) => AWS_CHECKS.includes(check.id) && check.status === 'fail');
    const said = summary(checks, project, deploy, awsOnlyWarned);
    process.stdout.write(`${tty ? wrapWords(said, columns).join('\n') : said}\n`);
  }
  return ok ? EXIT.ok : EXIT.failure;
}

/** An AWS setting that is missing stops no local work: a warning, unless doctor checks for deploying. */
function forLocalWork(check: Check): Check {
  if (!AWS_CHECKS.includes(check.id) || check.status !== 'fail') return check;
  return { ...check, status: 'warn' };
}

/** The width to wrap to: the terminal's, or 80 when it is unknown. */
function terminalColumns(): number {
  const columns = process.stdout.columns;
  return Number.isInteger(columns) && columns > 0 ? columns : 80;
}

const SYMBOL: Record<CheckStatus, string> = { ok: kleur.green('✔'), warn: kleur.yellow('!'), fail: kleur.red('✖'), skip: kleur.dim('–') };

/** The last column: the fix when something is wrong, else a note worth knowing. */
function advice(check: Check): string {
  if (check.status === 'fail' || check.status === 'warn') {
    // `not found` needs no second saying; `1.90.0 is older than 1.99` does.
    const problem = check.problem?.endsWith(check.found) ? undefined : check.problem;
    return [problem, check.fix && `fix: ${check.fix}`].filter(Boolean).join('; ');
  }
  return check.note ?? '';
}

/** Below this many columns beside the table, the advice goes on lines of its own under the row. */
const MIN_ADVICE_COLUMNS = 30;
/** The found and needed columns narrow to this, and no further, before the table gives way. */
const MIN_CELL_COLUMNS = 14;
/** Lines under a row start below its tool column. */
const UNDER_ROW_INDENT = 5;

/**
 * Greedy word wrap to `width` columns: lines break at spaces only, so a word longer than the
 * width (a URL) stands alone on a line that overflows rather than being cut.
 */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ').filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * A table for a person at a terminal `columns` wide, coloured unless NO_COLOR is set (kleur
 * reads it). Cells wrap at word boundaries: the found and needed columns narrow (the wider
 * first) until the table fits, and the advice wraps beside its row, or under it when too little
 * room is left beside. A terminal too narrow for any table gets a few wrapped lines per check.
 */
export function formatTable(checks: Check[], project: Project | undefined, architectures: Architecture[], columns = 80): string {
  const heading = project
    ? `${kleur.bold(basename(project.dir))} ${kleur.dim(`(${architectures.join(', ')}, template.yaml)`)}`
    : kleur.bold('not in a project');
  const paint = (c: Check) =>
    c.status === 'fail' ? kleur.red : c.status === 'warn' ? kleur.yellow : c.status === 'skip' ? kleur.dim : (s: string) => s;
  const paintAdvice = (c: Check) => (c.status === 'ok' || c.status === 'skip' ? (s: string) => kleur.dim(s) : (s: string) => s);
  const dim = (s: string) => kleur.dim(s);
  const header = ['', 'tool', 'found', 'needed'];
  const rows = checks.map((c) => [SYMBOL[c.status], c.tool, c.found, c.needed]);
  const width = (s: string) => stripVTControlCharacters(s).length;
  const widths = [0, 1, 2, 3].map((i) => Math.max(...[header, ...rows].map((r) => width(r[i]!))));
  const tableWidth = () => 2 + widths.reduce((sum, w) => sum + w, 0) + 2 * (widths.length - 1);
  while (tableWidth() > columns) {
    const wider = widths[2]! >= widths[3]! ? 2 : 3;
    const narrowed = widths[wider]! > MIN_CELL_COLUMNS ? wider : widths[5 - wider]! > MIN_CELL_COLUMNS ? 5 - wider : undefined;
    if (narrowed === undefined) break;
    widths[narrowed]!--;
  }
  // Wrapped cells; a word wider than its column widens it back, and may overflow the table.
  const wrapped = rows.map((row) => row.map((cell, i) => (i < 2 ? [cell] : wrapWords(cell, widths[i]!))));
  for (const i of [2, 3]) widths[i] = Math.max(width(header[i]!), ...wrapped.map((row) => Math.max(0, ...row[i]!.map(width))));

  const lines: string[] = [];
  if (tableWidth() <= columns) {
    const adviceStart = tableWidth() + 2;
    const beside = columns - adviceStart >= MIN_ADVICE_COLUMNS;
    const pad = (cells: string[], colours: ((s: string) => string)[]) =>
      `  ${cells.map((cell, i) => (cell ? colours[i]!(cell) : '') + ' '.repeat(widths[i]! - width(cell))).join('  ')}`;
    lines.push(
      pad(
        header,
        header.map(() => dim),
      ).trimEnd(),
    );
    checks.forEach((check, r) => {
      const cells = wrapped[r]!;
      const text = advice(check);
      const adviceLines = text && beside ? wrapWords(text, columns - adviceStart).map(paintAdvice(check)) : [];
      const height = Math.max(adviceLines.length, ...cells.map((cell) => cell.length));
      const colours = [(s: string) => s, (s: string) => s, paint(check), dim];
      for (let k = 0; k < height; k++) {
        const row = pad(
          cells.map((cell) => cell[k] ?? ''),
          colours,
        );
        lines.push(adviceLines[k] ? `${row}  ${adviceLines[k]}` : row.trimEnd());
      }
      if (text && !beside) lines.push(...underRow(text, columns).map(paintAdvice(check)));
    });
  } else {
    for (const check of checks) {
      const [first, ...rest] = wrapWords(`${check.tool}: ${check.found}`, columns - 4);
      lines.push(`  ${SYMBOL[check.status]} ${first}`, ...rest.map((line) => `${' '.repeat(UNDER_ROW_INDENT)}${line}`));
      lines.push(...underRow(`needed: ${check.needed}`, columns).map(dim));
      const text = advice(check);
      if (text) lines.push(...underRow(text, columns).map(paintAdvice(check)));
    }
  }
  return `\n${heading}\n\n${lines.join('\n')}\n\n`;
}

/** `text` wrapped on lines of its own, indented under a row's tool column. */
function underRow(text: string, columns: number): string[] {
  return wrapWords(text, columns - UNDER_ROW_INDENT).map((line) => `${' '.repeat(UNDER_ROW_INDENT)}${line}`);
}

/** One line per check, for logs and scripts: `<status> <tool>: <found> — needed: <needed>[ — fix]`. */
export function formatLines(checks: Check[], project: Project | undefined): string {
  const where = project ? `project ${project.dir}` : 'not in a project';
  const lines = checks.map((c) => {
    const rest = advice(c);
    return `${c.status.padEnd(4)} ${c.tool}: ${c.found} — needed: ${c.needed}${rest ? ` — ${rest}` : ''}`;
  });
  return `${where}\n${lines.join('\n')}\n`;
}

/** `awsOnlyWarned`: AWS settings are missing, which doctor --deploy would count as problems. */
function summary(checks: Check[], project: Project | undefined, deploy: boolean, awsOnlyWarned: boolean): string {
  const failed = checks.filter((c) => c.status === 'fail').length;
  const outside = project
    ? ''
    : " Not in a project (no template.yaml here), so no Rust target was checked: run doctor in a project to check its architecture's.";
  const again = deploy ? 'lambda-kit doctor --deploy' : 'lambda-kit doctor';
  const forAws = awsOnlyWarned
    ? ` The AWS settings warned about above are needed by ${AWS_COMMANDS.slice(0, -1).join(', ')} and ${AWS_COMMANDS.at(-1)};` +
      ' lambda-kit doctor --deploy requires them.'
    : '';
  if (failed === 0) return `${awsOnlyWarned ? 'All set for local work (build, invoke, bench --local).' : 'All set.'}${forAws}${outside}`;
  return `${failed} ${failed === 1 ? 'problem' : 'problems'}: fix ${failed === 1 ? 'it' : 'them'} and run ${again} again.${forAws}${outside}`;
}
