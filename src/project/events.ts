/**
 * A project's sample events: the one `sam local invoke` would send (samconfig.toml's
 * local_invoke event), else the only file in events/.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { EXIT, UserError } from '../cli/errors.js';
import { jsonSyntaxError } from '../text/json-text.js';
import type { Project } from './project.js';
import { samConfigValue } from './samconfig.js';

export async function defaultEventFile(project: Project): Promise<string> {
  const configured = samConfigValue(project.samconfig, 'local_invoke', 'event');
  if (typeof configured === 'string') return resolve(project.dir, configured);
  const dir = join(project.dir, 'events');
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 1) return join(dir, files[0]!);
  if (files.length === 0) throw new UserError(`no sample event in ${relative(process.cwd(), dir) || dir}: pass one with --event <file>`, { exitCode: EXIT.usage });
  throw new UserError(`events/ has ${files.length} events: pick one with --event (${files.map((f) => `events/${f}`).join(', ')})`, { exitCode: EXIT.usage });
}

/** The event's bytes, checked to be JSON as Lambda requires; a missing file names its path. */
export async function readEventFile(path: string): Promise<Buffer> {
  const shown = relative(process.cwd(), path) || path;
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `event file ${shown} does not exist` : `cannot read event file ${shown}: ${code ?? (error as Error).message}`);
  }
  const text = bytes.toString('utf8');
  try {
    JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the file, which may hold a secret: say only where and why.
    const where = jsonSyntaxError(text);
    throw new UserError(`event file ${shown} is not JSON${where ? ` (line ${where.line}, column ${where.column}: ${where.problem})` : ''}`);
  }
  return bytes;
}
