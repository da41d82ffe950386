/**
 * Text from a user's files, made fit for a one-line error message: control characters (a new
 * line, ESC, NUL) are shown as escapes rather than acting on the terminal or breaking the line,
 * and a huge value is cut short.
 */
const MAX_SHOWN = 80;

export function visible(text: string, max = MAX_SHOWN): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  // C0 and C1 controls, DEL, and the line and paragraph separators some terminals break on.
  return cut.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** `"text"`, made visible, for naming a user's value inside a message. */
export function quoted(text: string, max = MAX_SHOWN): string {
  return `"${visible(text, max)}"`;
}
