/**
 * lambda-kit logs [--since 10m] [--filter PATTERN] [-f|--tail [--poll]]: the stack's function logs,
 * compact, with each REPORT as one line (cold starts marked), and a summary at the end.
 *
 * Log lines go to stdout; notes and the summary go to stderr, so `lambda-kit logs --json | jq`
 * sees only events.
 */
import kleur from 'kleur';
import { parseCommandFlags } from '../../command-line.js';
import { EXIT, usageError } from '../../errors.js';
import { STACK_FLAGS, stackTarget } from '../stack-target.js';
import { formatJsonEvent, LogFormatter, type LogEvent } from '../../aws/log-format.js';
import { formatSummary, InvocationStats } from '../../aws/log-summary.js';
import { quoted, showableLine } from '../../text/terminal-text.js';

const PROGRAM = 'lambda-kit logs';

const OPTIONS = {
  ...STACK_FLAGS,
  // No short flag: -f is everybody's follow (tail -f, kubectl logs -f, docker logs -f).
  function: { type: 'string' },
  since: { type: 'string', short: 's' },
  filter: { type: 'string' },
  tail: { type: 'boolean', short: 't' },
  follow: { type: 'boolean', short: 'f' },
  poll: { type: 'boolean' },
  verbose: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const HELP = `Show the deployed functions' logs: every line once, cold starts and latency at a glance.

Usage: lambda-kit logs [options]

Prints the window (--since) and a summary, then exits; with --tail it keeps following until
Ctrl-C, then prints the summary. Each line shows the time, the function (when the stack has
several), the short request id and the message. JSON logs are compacted; START/END lines are
hidden unless --verbose; each REPORT is one line, marked when it was a cold start.

Options:
  -s, --since <when>       start of the window: 30s, 10m, 2h, 1d, or an ISO date (default 10m)
      --filter <pattern>   a CloudWatch Logs filter pattern, e.g. ERROR or '{ $.level = "ERROR" }'
  -t, --tail               keep following (CloudWatch Logs LiveTail, else polling every second)
  -f, --follow             the same as --tail, as in tail -f and kubectl logs -f
      --poll               with --tail: poll FilterLogEvents instead of LiveTail
      --function <id>      one function, by logical id (default: every function in the stack)
      --verbose            show START/END and Lambda's other per-invocation lines
      --json               one raw JSON event per line, for piping
      --stack-name <name>  the stack (default: samconfig.toml's stack_name, else the package name)
      --region <region>    the AWS region (default: samconfig.toml's, AWS_REGION or the profile's)
      --profile <name>     the AWS profile (default: AWS_PROFILE)
  -h, --help               show this help

Exit codes: 0 done (an empty window too), 1 no such stack, no functions in it, or AWS refused,
2 bad options, 130 stopped with Ctrl-C (after the summary).
`;

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `10m` → ten minutes before `now`; an ISO date as itself. Undefined when it is neither. */
export function parseSince(value: string, now: number): number | undefined {
  const relative = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/i.exec(value.trim());
  if (relative) return now - Number(relative[1]) * UNITS[relative[2]!.toLowerCase()]!;
  if (!/^\d{4}-\d\d-\d\d/.test(value)) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

export async function main(args: string[]): Promise<number> {
  // -f named a function before it meant follow: `logs -f AppFunction` says what changed.
  const afterF = args[args.indexOf('-f') + 1];
  if (args.includes('-f') && afterF !== undefined && !afterF.startsWith('-')) {
    throw usageError(`-f follows the logs (as tail -f does); name a function with --function ${quoted(afterF, 60)}.`);
  }
  const values = parseCommandFlags(PROGRAM, args, OPTIONS, HELP);
  if (!values) return EXIT.ok;
  const follow = Boolean(values.tail || values.follow);
  if (values.poll && !follow) throw usageError('--poll applies to --tail only.', `See ${PROGRAM} --help.`);
  const sinceText = values.since ?? '10m';
  const startTime = parseSince(sinceText, Date.now());
  if (startTime === undefined) throw usageError(`--since takes 30s, 10m, 2h, 1d or an ISO date, not '${sinceText}'.`);

  // As deploy and outputs resolve it; outside a project, --stack-name is enough.
  const target = await stackTarget(values, ['aws-region', 'aws-credentials'], false);
  const stackName = target.stackName;
  const aws = { region: target.region, profile: target.profile };

  // The SDK loads here, not at startup: `lambda-kit --help` never pays for it.
  const { logsClient, readLogWindow, resolveLogTargets, tailLogs } = await import('../../aws/log-tail.js');
  const targets = await resolveLogTargets(stackName, values.function, aws);
  const formatter = new LogFormatter({ colour: kleur.enabled, verbose: values.verbose ?? false, showFunction: targets.length > 1 });
  const stats = new Map(targets.map((t) => [t.functionId, new InvocationStats(t.memorySizeMb)]));
  const print = (events: LogEvent[]) => {
    let out = '';
    for (const event of events) {
      const line = formatter.classify(event);
      stats.get(event.functionId)?.observe(line);
      if (values.json) out += `${formatJsonEvent(event)}\n`;
      else if (line.text !== undefined) out += `${line.text}\n`;
    }
    if (out) process.stdout.write(out);
  };
  const groups = [...new Set(targets.map((t) => t.logGroupName))].join(', ');
  const client = logsClient(aws);

  try {
    if (!follow) {
      const { events, missingGroups } = await readLogWindow(client, targets, {
        startTime,
        endTime: Date.now(),
        filterPattern: values.filter,
      });
      if (events.length === 0) {
        const missing = missingGroups.length
          ? ` (${missingGroups.join(', ')} does not exist yet: the function has not logged anything)`
          : '';
        note(`No log events in ${groups} since ${describeSince(sinceText)}${values.filter ? ` matching ${values.filter}` : ''}${missing}.`);
        return EXIT.ok;
      }
      print(events);
      printSummary(stats, `since ${describeSince(sinceText)}`);
      return EXIT.ok;
    }

    note(`Tailing ${groups}${values.filter ? ` (filter ${values.filter})` : ''}; Ctrl-C to stop.`);
    const controller = new AbortController();
    let interrupted = false;
    const stop = () => {
      interrupted = true;
      controller.abort();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await tailLogs(client, targets, {
        startTime,
        filterPattern: values.filter,
        signal: controller.signal,
        poll: values.poll,
        onEvents: print,
        onNote: note,
      });
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    printSummary(stats, 'while tailing');
    return interrupted ? EXIT.cancelled : EXIT.ok;
  } finally {
    client.destroy();
  }
}

function describeSince(text: string): string {
  return /^\d/.test(text) && !/^\d{4}-/.test(text) ? `${text} ago` : text;
}

function printSummary(stats: Map<string, InvocationStats>, when: string): void {
  const lines = [...stats].map(([id, s]) =>
    stats.size > 1 ? `  ${id}: ${formatSummary(s.summary())}` : `  ${formatSummary(s.summary())}`,
  );
  process.stderr.write(`${kleur.bold(`Summary ${when}:`)}\n${lines.join('\n')}\n`);
}

/** Notes quote AWS's error messages (LiveTail unavailable, throttled): shown on one line, safely. */
function note(text: string): void {
  process.stderr.write(`${kleur.dim(showableLine(text))}\n`);
}
