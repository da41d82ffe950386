/**
 * A byte stream (a process's stdout or stderr) cut into lines, in time linear in its length
 * whatever the line lengths: chunks are kept as they come and joined once, when their line
 * ends, rather than each appended to what came before (quadratic for a line without newlines).
 * A line longer than `maxLineBytes` keeps its beginning only, with a marker saying how much was
 * cut, so one runaway line cannot fill the memory either.
 */
import { cutMarker } from './terminal-text.js';

/**
 * What a line keeps at most; the rest is counted, not kept. Below MAX_SHOWN_CHARS, so that a
 * line kept and its marker are shown whole, and the marker's count is the true one.
 */
export const MAX_LINE_BYTES = 60 * 1024;

const NEWLINE = 0x0a;

export class LineSplitter {
  /** The current line's chunks so far, up to maxLineBytes of them. */
  #parts: Buffer[] = [];
  #kept = 0;
  #cut = 0;
  /** Bytes copied while joining lines: the work done, which tests hold to a linear bound. */
  copiedBytes = 0;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineBytes = MAX_LINE_BYTES,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      this.#keep(chunk.subarray(start, end));
      this.#emit();
      start = end + 1;
    }
    if (start < chunk.length) this.#keep(chunk.subarray(start));
  }

  /** The stream ended: a last line without a newline still counts. */
  end(): void {
    if (this.#kept > 0 || this.#cut > 0) this.#emit();
  }

  #keep(part: Buffer): void {
    const room = this.maxLineBytes - this.#kept;
    if (part.length > room) {
      this.#cut += part.length - room;
      part = part.subarray(0, room);
    }
    if (part.length === 0) return;
    this.#parts.push(part);
    this.#kept += part.length;
  }

  #emit(): void {
    const bytes = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#kept);
    this.copiedBytes += this.#parts.length === 1 ? 0 : this.#kept;
    let line = bytes.toString('utf8');
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (this.#cut > 0) line += cutMarker(this.#cut, 'bytes');
    this.#parts = [];
    this.#kept = 0;
    this.#cut = 0;
    this.onLine(line);
  }
}
