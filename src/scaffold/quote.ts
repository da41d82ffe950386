import { showable } from '../text/terminal-text.js';

/**
 * Text a user typed, made safe to echo in a one-line message: control characters (a newline, an
 * escape sequence) shown as escapes instead of acting on the terminal, and huge values cut short.
 */

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** `a\nb` → `a\\nb`, ESC → `\\u001b`: the value stays recognisable and the message stays one line. */
export const quoteForMessage = showable;

/** Like quoteForMessage, and a value longer than `max` characters shows its start and its length. */
export function abbreviateForMessage(text: string, max = 80): string {
  const chars = [...text];
  if (chars.length <= max) return quoteForMessage(text);
  return `${quoteForMessage(chars.slice(0, max - 20).join(''))}… (${chars.length} characters)`;
}

export const hasControlCharacters = (text: string): boolean => new RegExp(CONTROL.source).test(text);

/** Characters a POSIX shell takes literally in a word, so a plain path prints as it is. */
const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * `my dir` → `'my dir'`, `it's` → `'it'\''s'`: a word any POSIX shell reads back as exactly
 * `text`. Inside single quotes nothing is special, and a quote itself is closed, escaped, reopened.
 */
export function quoteForShell(text: string): string {
  if (SHELL_SAFE.test(text)) return text;
  return `'${text.replaceAll("'", "'\\''")}'`;
}
