/**
 * Text that came from outside (AWS, the function, a tool), made safe to show. A log line or a
 * stack output may hold escape sequences that retitle, clear or rewrite the person's terminal,
 * so every control character is shown as an escape instead: `\n`, `\t`, `\r`, else `\u001b`.
 * The escapes are JSON's, so an escaped JSON text stays valid JSON with the same value.
 *
 * Our own colours are added after this, so they keep working.
 */

/** C0, DEL and C1 controls; line and paragraph separators; bidi overrides; lone surrogates. */
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const UNSAFE_ANY = new RegExp(UNSAFE.source);
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** How much of one line is shown at most, in characters (before escaping). */
export const MAX_SHOWN_CHARS = 64 * 1024;

/** `text` on one line, every control character made visible. Printable text is unchanged. */
export function showable(text: string): string {
  if (!UNSAFE_ANY.test(text)) return text;
  return text.replace(UNSAFE, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A user's value, for naming inside a one-line message: showable, and cut after `max` characters. */
export function visible(text: string, max = 80): string {
  return showable(text.length > max ? `${text.slice(0, max)}…` : text);
}

/** `"text"`, made visible. */
export function quoted(text: string, max = 80): string {
  return `"${visible(text, max)}"`;
}

/** As showable, and cut after `maxChars` characters with a marker saying how much was left out. */
export function showableLine(text: string, maxChars = MAX_SHOWN_CHARS): string {
  if (text.length <= maxChars) return showable(text);
  let end = maxChars;
  // Never split a surrogate pair: half of one would show as an escape.
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${showable(text.slice(0, end))}${cutMarker(text.length - end, 'characters')}`;
}

/**
 * `value` as indented JSON that is safe to show and means the same: JSON.stringify escapes C0
 * controls in strings but leaves C1 controls, bidi overrides and separators raw, and its only
 * raw newlines are the indentation's, so each line is made showable on its own.
 */
export function showableJson(value: unknown): string {
  return JSON.stringify(value, null, 2).split('\n').map(showable).join('\n');
}

/** What replaces the end of a line that was too long to show. */
export function cutMarker(count: number, unit: 'characters' | 'bytes'): string {
  return `… [${count.toLocaleString('en-US')} more ${unit} not shown]`;
}

/**
 * Bytes that should be UTF-8, shown on one line: valid text as showable shows it, and each byte
 * that is not part of a valid UTF-8 sequence as `\xNN` (rather than U+FFFD, which loses it).
 */
export function showableBytes(bytes: Uint8Array, maxBytes = MAX_SHOWN_CHARS): string {
  const end = Math.min(bytes.length, maxBytes);
  const decoder = new TextDecoder('utf-8');
  let out = '';
  let start = 0;
  let i = 0;
  while (i < end) {
    const length = utf8SequenceLength(bytes, i);
    if (length > 0 && i + length <= end) {
      i += length;
      continue;
    }
    if (length > 0) break; // a valid sequence cut by `end`
    out += `${showable(decoder.decode(bytes.subarray(start, i)))}\\x${bytes[i]!.toString(16).padStart(2, '0')}`;
    start = ++i;
  }
  out += showable(decoder.decode(bytes.subarray(start, i)));
  return i < bytes.length ? out + cutMarker(bytes.length - i, 'bytes') : out;
}

/** True when `bytes` are all valid UTF-8. */
export function isUtf8(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; ) {
    const length = utf8SequenceLength(bytes, i);
    if (length === 0) return false;
    i += length;
  }
  return true;
}

/** The length of the valid UTF-8 sequence at `i`, or 0 when the byte there does not start one. */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i]!;
  if (b < 0x80) return 1;
  const next = (k: number, low = 0x80, high = 0xbf) => {
    const c = bytes[i + k];
    return c !== undefined && c >= low && c <= high;
  };
  if (b >= 0xc2 && b <= 0xdf) return next(1) ? 2 : 0;
  if (b === 0xe0) return next(1, 0xa0) && next(2) ? 3 : 0;
  if (b === 0xed) return next(1, 0x80, 0x9f) && next(2) ? 3 : 0;
  if (b >= 0xe1 && b <= 0xef) return next(1) && next(2) ? 3 : 0;
  if (b === 0xf0) return next(1, 0x90) && next(2) && next(3) ? 4 : 0;
  if (b >= 0xf1 && b <= 0xf3) return next(1) && next(2) && next(3) ? 4 : 0;
  if (b === 0xf4) return next(1, 0x80, 0x8f) && next(2) && next(3) ? 4 : 0;
  return 0;
}
