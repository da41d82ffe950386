/**
 * lambda-kit doctor [--json]: is everything this project needs installed and set up? One row
 * per tool or setting: what was found, what is needed, and the one line that fixes it.
 */
import { basename } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import kleur from 'kleur';
import { parseCommandFlags } from '../args.js';
import { EXIT } from '../errors.js';
import { hasTemplate, loadProject, type Architecture, type Project } from '../../project/project.js';
import { runChecks, type Check, type CheckId, type CheckStatus } from '../../tools/doctor.js';

const PROGRAM = 'lambda-kit doctor';

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const HELP = `Check the tools and settings a project needs, and say how to fix what is missing.

Usage: lambda-kit doctor [options]

Checks node, cargo and rustc, cargo-lambda, zig, the Rust target of the project's architecture
(from template.yaml), the SAM CLI, and where the AWS region and credentials would come from.
It never calls AWS. Outside a project it checks what every project needs.

Options:
  --json        print the checks as JSON
  -h, --help    show this help

Exit codes: 0 all present, 1 something is missing, 2 bad options.
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
  const checks = await runChecks(DOCTOR_CHECKS, { cwd, architecture: first });
  // A second architecture in the same template needs its own Rust target too.
  for (const architecture of others) checks.push(...(await runChecks(['rust-target'], { cwd, architecture })));

  const ok = checks.every((check) => check.status !== 'fail');
  if (values.json) {
    const where = project ? { dir: project.dir, architectures } : null;
    process.stdout.write(`${JSON.stringify({ ok, project: where, checks }, null, 2)}\n`);
  } else {
    const tty = Boolean(process.stdout.isTTY) && process.env.CI !== 'true';
    process.stdout.write(tty ? formatTable(checks, project, architectures) : formatLines(checks, project));
    process.stdout.write(`${summary(checks, project)}\n`);
  }
  return ok ? EXIT.ok : EXIT.failure;
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

/** A table for a person at a terminal, coloured unless NO_COLOR is set (kleur reads it). */
export function formatTable(checks: Check[], project: Project | undefined, architectures: Architecture[]): string {
  const heading = project
    ? `${kleur.bold(basename(project.dir))} ${kleur.dim(`(${architectures.join(', ')}, template.yaml)`)}`
    : kleur.bold('not in a project');
  const rows = [
    ['', 'tool', 'found', 'needed', ''].map((h) => (h ? kleur.dim(h) : h)),
    ...checks.map((c) => {
      const colour = c.status === 'fail' ? kleur.red : c.status === 'warn' ? kleur.yellow : c.status === 'skip' ? kleur.dim : (s: string) => s;
      const last = advice(c);
      return [SYMBOL[c.status], c.tool, colour(c.found), kleur.dim(c.needed), last && (c.status === 'ok' || c.status === 'skip') ? kleur.dim(last) : last];
    }),
  ];
  const width = (s: string) => stripVTControlCharacters(s).length;
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => width(r[i]!))));
  const lines = rows.map((r) =>
    r
      .map((cell, i) => (i < widths.length ? cell + ' '.repeat(widths[i]! - width(cell)) : cell))
      .join('  ')
      .trimEnd(),
  );
  return `\n${heading}\n\n${lines.map((l) => `  ${l}`).join('\n')}\n\n`;
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

function summary(checks: Check[], project: Project | undefined): string {
  const failed = checks.filter((c) => c.status === 'fail').length;
  const outside = project
    ? ''
    : " Not in a project (no template.yaml here), so no Rust target was checked: run doctor in a project to check its architecture's.";
  if (failed === 0) return `All set.${outside}`;
  return `${failed} ${failed === 1 ? 'problem' : 'problems'}: fix ${failed === 1 ? 'it' : 'them'} and run lambda-kit doctor again.${outside}`;
}
