/**
 * Drives a command in a real pseudo-terminal (util-linux `script`), the way a person at a
 * keyboard would: wait for text on the screen, type keys, read the exit code.
 */
import { spawn } from 'node:child_process';
import { stripVTControlCharacters } from 'node:util';

export const KEY = {
  enter: '\r',
  down: '\x1b[B',
  up: '\x1b[A',
  ctrlC: '\x03',
  escape: '\x1b',
  backspace: '\x7f',
} as const;

export interface PtySession {
  /** Everything printed so far, with colours and cursor movement stripped. */
  screen(): string;
  /** Everything printed so far, escape sequences included. */
  raw(): string;
  /** Resolves once `text` has been printed after the last call to waitFor (or the start). */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  type(keys: string): void;
  exit: Promise<number>;
}

const shellQuote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;

export function spawnInPty(command: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): PtySession {
  const inner = `stty cols 100 rows 50; exec ${command.map(shellQuote).join(' ')}`;
  const child = spawn('script', ['-qfec', inner, '/dev/null'], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let seenUpTo = 0;
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exit = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  const screen = () => stripVTControlCharacters(output);

  return {
    screen,
    raw: () => output,
    exit,
    type: (keys) => child.stdin.write(keys),
    waitFor(text, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const rest = screen().slice(seenUpTo);
          const match = typeof text === 'string' ? rest.indexOf(text) : rest.search(text);
          if (match === -1) return false;
          seenUpTo += match + 1;
          done();
          resolve();
          return true;
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${String(text)}; screen:\n${screen().slice(-2000)}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        if (!check()) {
          listeners.add(check);
          void exit.then(() =>
            setTimeout(() => {
              if (listeners.has(check) && !check()) {
                done();
                reject(new Error(`exited before ${String(text)}; screen:\n${screen().slice(-2000)}`));
              }
            }, 50),
          );
        }
      });
    },
  };
}
