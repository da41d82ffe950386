/**
 * SIGINT (Ctrl-C), SIGTERM (an IDE's stop button, a supervisor) and SIGHUP (a closed terminal),
 * turned from "end the process now" into an abort, so that a command stops what it started
 * (functions, builds, their process groups) before it exits with the signal's code. The same
 * handling `lambda-kit invoke` has, for any command that runs processes of its own.
 */
import { EXIT, type ExitCode } from '../errors.js';

export type TerminationSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** As a shell reports a process a signal ended: 128 + its number. */
export const SIGNAL_EXIT: Record<TerminationSignal, ExitCode> = { SIGINT: EXIT.cancelled, SIGTERM: EXIT.terminated, SIGHUP: EXIT.hangup };

/** Until release(), each of the three signals aborts `controller` with the signal's name as its reason. */
export function abortOnTerminationSignals(controller: AbortController): { release(): void } {
  const removers = (Object.keys(SIGNAL_EXIT) as TerminationSignal[]).map((name) => {
    const handler = () => controller.abort(name);
    process.on(name, handler);
    return () => process.removeListener(name, handler);
  });
  return {
    release: () => {
      for (const remove of removers) remove();
    },
  };
}

/** The signal an aborted controller was aborted by, if it was one of the three. */
export function terminationSignalOf(signal: AbortSignal): TerminationSignal | undefined {
  const reason: unknown = signal.reason;
  return typeof reason === 'string' && reason in SIGNAL_EXIT ? (reason as TerminationSignal) : undefined;
}
