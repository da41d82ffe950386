/**
 * JSON read from outside, looked at without recursion, so that no input can overflow the stack:
 * how deeply it nests (JSON.parse takes any depth, JSON.stringify and our formatters do not), and
 * where a text stops being JSON (JSON.parse's own message quotes the text, which may be a secret).
 */

/** The deepest nesting of arrays and objects in `text`, counting brackets outside strings. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

export interface JsonSyntaxError {
  /** 1-based, as editors count. */
  line: number;
  column: number;
  problem: string;
}

type State = 'value' | 'value-or-close' | 'key' | 'key-or-close' | 'colon' | 'comma-or-close' | 'end';

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

/** Where `text` stops being JSON (RFC 8259) and why, or undefined when it is JSON. */
export function jsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const stack: string[] = [];
  let state = 'value' as State;
  let i = 0;
  const fail = (problem: string): JsonSyntaxError => ({ ...lineAndColumn(text, i), problem });
  const afterValue = () => {
    state = stack.length ? 'comma-or-close' : 'end';
  };
  /** Reads the string starting at `i`; returns a problem, or undefined with `i` after it. */
  const readString = (): string | undefined => {
    for (i++; i < text.length; i++) {
      const c = text[i]!;
      if (c === '"') {
        i++;
        return undefined;
      }
      if (c.charCodeAt(0) < 0x20) return 'a control character inside a string';
      if (c === '\\') {
        const escaped = text[i + 1];
        if (escaped === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return 'a bad \\u escape';
          i += 5;
        } else if (escaped !== undefined && ESCAPES.has(escaped)) i++;
        else return escaped === undefined ? 'an unterminated string' : 'a bad escape';
      }
    }
    return 'an unterminated string';
  };
  for (;;) {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
    if (i >= text.length) return state === 'end' ? undefined : fail('the text ends too early');
    const c = text[i]!;
    switch (state) {
      case 'end':
        return fail('unexpected text after the JSON value');
      case 'colon':
        if (c !== ':') return fail("expected ':'");
        i++;
        state = 'value';
        break;
      case 'key':
      case 'key-or-close':
        if (c === '}' && state === 'key-or-close') {
          stack.pop();
          i++;
          afterValue();
        } else if (c === '"') {
          const problem = readString();
          if (problem) return fail(problem);
          state = 'colon';
        } else return fail('expected a key in double quotes');
        break;
      case 'comma-or-close': {
        const close = stack.at(-1) === '[' ? ']' : '}';
        if (c === ',') state = close === ']' ? 'value' : 'key';
        else if (c === close) {
          stack.pop();
          afterValue();
        } else return fail(`expected ',' or '${close}'`);
        i++;
        break;
      }
      case 'value':
      case 'value-or-close':
        if (c === ']' && state === 'value-or-close') {
          stack.pop();
          i++;
          afterValue();
        } else if (c === '[' || c === '{') {
          stack.push(c);
          i++;
          state = c === '[' ? 'value-or-close' : 'key-or-close';
        } else if (c === '"') {
          const problem = readString();
          if (problem) return fail(problem);
          afterValue();
        } else {
          const literal = ['true', 'false', 'null'].find((word) => text.startsWith(word, i));
          NUMBER.lastIndex = i;
          const number = literal === undefined ? NUMBER.exec(text) : null;
          if (literal === undefined && !number) return fail('expected a value');
          i += literal?.length ?? number![0].length;
          afterValue();
        }
        break;
    }
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * How deeply a log line or an answer may nest and still be formatted: deeper ones are shown as
 * their text, since JSON.stringify recurses and overflows the stack at a few thousand levels.
 */
export const MAX_FORMATTED_DEPTH = 100;
