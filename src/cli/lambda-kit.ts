/**
 * lambda-kit <command>: each command is its own module, loaded only when it runs, so --help
 * never pays for the AWS SDK.
 */
import { parseCommandLine } from '../command-line.js';
import { EXIT, runMain, usageError } from '../errors.js';
import { packageVersion } from '../version.js';

const PROGRAM = 'lambda-kit';

interface Command {
  summary: string;
  load: () => Promise<{ main: (args: string[]) => Promise<number> }>;
}

/** The command table: name → summary and a lazy import of its module. */
export const COMMANDS: Record<string, Command> = {
  bench: { summary: 'measure the Rust function against its Node.js and Python twins', load: () => import('./commands/bench.js') },
  build: { summary: 'build the function with sam build (or cargo lambda build --no-sam)', load: () => import('./commands/build.js') },
  delete: { summary: 'delete the deployed stack, following its events until it is gone', load: () => import('./commands/delete.js') },
  deploy: { summary: 'build, then deploy with sam, showing the stack events live', load: () => import('./commands/deploy.js') },
  dev: { summary: 'run the function locally behind its trigger, rebuilding on every change', load: () => import('./commands/dev.js') },
  doctor: { summary: 'check the tools and AWS settings the project needs', load: () => import('./commands/doctor.js') },
  invoke: { summary: 'run the function on an event, locally or deployed (--remote)', load: () => import('./commands/invoke.js') },
  logs: { summary: "print or follow the stack's function logs, with cold starts and latency", load: () => import('./commands/logs.js') },
  outputs: { summary: "the deployed stack's outputs, as a table or --json", load: () => import('./commands/outputs.js') },
};

export function help(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(8, ...names.map((n) => n.length)) + 2;
  const commands = names.map((name) => `  ${name.padEnd(width)}${COMMANDS[name]!.summary}`).join('\n');
  return `Build, run, deploy and watch a create-fast-lambda project.

Usage: ${PROGRAM} <command> [options]

Commands:
${commands}

Run ${PROGRAM} <command> --help for a command's options.

Options:
  -h, --help       show this help
  -v, --version    show the version
`;
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first !== undefined && !first.startsWith('-')) {
    const command = COMMANDS[first];
    if (!command) throw usageError(`unknown command '${first}'.`, `See ${PROGRAM} --help.`);
    return (await command.load()).main(rest);
  }
  const { values, positionals } = parseCommandLine(PROGRAM, argv, {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
  });
  if (values.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return EXIT.ok;
  }
  if (values.help || positionals.length === 0) {
    process.stdout.write(help());
    return values.help ? EXIT.ok : EXIT.usage;
  }
  return EXIT.ok;
}

/** The bin stub's entry point. */
export function run(): Promise<void> {
  // The SDK warns on every run under Node 20, which this package supports; the warning is for
  // us, not for the person running their function. Set here, so every command's clients (dev's
  // pollers too) see it before the first one is built.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return runMain(PROGRAM, () => main(process.argv.slice(2)));
}
