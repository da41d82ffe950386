/**
 * samconfig.toml, the SAM CLI's per-project defaults, and SAM's lookup rule: a command's own
 * table (`[default.deploy.parameters]`) wins over the global one (`[default.global.parameters]`).
 *
 * The parser reads the subset of TOML samconfig files are written in (tables of `key = "string" |
 * 'literal' | number | boolean | [array]`, comments, `version` at the top) and refuses anything
 * else with the file and line. It never skips a line it does not understand: a dropped
 * `stack_name` would make `delete` act on another stack.
 */
import { UserError } from '../errors.js';
import { visible } from '../text/terminal-text.js';

export type SamConfigScalar = string | number | boolean;
export type SamConfigValue = SamConfigScalar | SamConfigScalar[];
/** Table name (`default.deploy.parameters`) → key → value. Root keys (`version`) are under ''. */
export type SamConfig = Map<string, Map<string, SamConfigValue>>;

/** What went wrong, where: shown as `samconfig.toml:3: unterminated string`. */
class TomlSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** SAM reads only `version` outside a table; any other key there is a misplaced line. */
const ROOT_KEYS = new Set(['version']);

export function parseSamConfig(text: string, file = 'samconfig.toml'): SamConfig {
  try {
    return new SamConfigParser(text).parse();
  } catch (error) {
    if (error instanceof TomlSyntaxError) throw new UserError(`${file}:${error.line}: ${error.message}`);
    throw error;
  }
}

/** `key` for `command` (`deploy`, `local_invoke`, …) in environment `env`, else its global value. */
export function samConfigValue(config: SamConfig | undefined, command: string, key: string, env = 'default'): SamConfigValue | undefined {
  return config?.get(`${env}.${command}.parameters`)?.get(key) ?? config?.get(`${env}.global.parameters`)?.get(key);
}

/** Like samConfigValue, for a key that must be a non-empty string: anything else is an error, never ignored. */
export function samConfigString(config: SamConfig | undefined, command: string, key: string, env = 'default'): string | undefined {
  const value = samConfigValue(config, command, key, env);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new UserError(`samconfig.toml: ${key} must be a non-empty string, not ${visible(JSON.stringify(value))}`);
  }
  return value;
}

const BARE_KEY = /[A-Za-z0-9_-]/;
const ESCAPES: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\' };

/** A character TOML forbids outside strings and in them: controls other than tab. */
function isControl(c: string): boolean {
  const code = c.charCodeAt(0);
  return (code < 0x20 && c !== '\t') || code === 0x7f;
}

const describeChar = (c: string) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

class SamConfigParser {
  private pos = 0;
  private line = 1;
  private readonly config: SamConfig = new Map([['', new Map()]]);
  private readonly text: string;

  constructor(text: string) {
    // A byte-order mark and Windows line ends are TOML too.
    this.text = text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  }

  parse(): SamConfig {
    let table = this.config.get('')!;
    let tableName = '';
    while (this.pos < this.text.length) {
      this.skipBlanks();
      const c = this.peek();
      if (c === undefined) break;
      if (c === '\n' || c === '#') {
        this.endOfLine();
        continue;
      }
      if (c === '[') {
        tableName = this.tableHeader();
        if (this.config.has(tableName)) throw this.error(`table [${visible(tableName)}] is defined twice`);
        table = new Map();
        this.config.set(tableName, table);
      } else {
        const keyLine = this.line;
        const key = this.key();
        this.skipBlanks();
        if (this.peek() === '.') throw this.error(`dotted keys (${visible(key)}.…) are not supported in samconfig.toml`);
        if (this.peek() !== '=') throw this.error(`expected = after ${visible(key)}`);
        this.pos++;
        this.skipBlanks();
        if (tableName === '' && !ROOT_KEYS.has(key)) {
          throw new TomlSyntaxError(keyLine, `${visible(key)} is outside a table: put it under one such as [default.deploy.parameters]`);
        }
        if (table.has(key))
          throw new TomlSyntaxError(keyLine, `duplicate key ${visible(key)}${tableName ? ` in [${visible(tableName)}]` : ''}`);
        table.set(key, this.value());
      }
      this.endOfLine();
    }
    return this.config;
  }

  private peek(offset = 0): string | undefined {
    return this.text[this.pos + offset];
  }

  private error(message: string): TomlSyntaxError {
    return new TomlSyntaxError(this.line, message);
  }

  private skipBlanks(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }

  /** After a header or a pair: blanks, a comment, then the end of the line; anything else is junk. */
  private endOfLine(): void {
    this.skipBlanks();
    if (this.peek() === '#') {
      this.pos++;
      while (this.peek() !== undefined && this.peek() !== '\n') {
        if (isControl(this.peek()!)) throw this.error(`control character ${describeChar(this.peek()!)} in a comment`);
        this.pos++;
      }
    }
    const c = this.peek();
    if (c === undefined) return;
    if (c !== '\n') {
      if (isControl(c)) throw this.error(`control character ${describeChar(c)}`);
      throw this.error(`unexpected ${visible(this.text.slice(this.pos, this.pos + 20).split('\n')[0]!)} after the value`);
    }
    this.pos++;
    this.line++;
  }

  private tableHeader(): string {
    this.pos++;
    if (this.peek() === '[') throw this.error('arrays of tables ([[…]]) are not supported in samconfig.toml');
    const parts: string[] = [];
    for (;;) {
      this.skipBlanks();
      parts.push(this.key());
      this.skipBlanks();
      const c = this.peek();
      if (c === '.') {
        this.pos++;
        continue;
      }
      if (c === ']') {
        this.pos++;
        return parts.join('.');
      }
      throw this.error(c === undefined || c === '\n' ? 'unterminated table header' : `unexpected ${visible(c)} in a table header`);
    }
  }

  private key(): string {
    const c = this.peek();
    if (c === '"') return this.basicString();
    if (c === "'") return this.literalString();
    const start = this.pos;
    while (this.peek() !== undefined && BARE_KEY.test(this.peek()!)) this.pos++;
    if (this.pos === start) {
      if (c === undefined || c === '\n') throw this.error('expected a key');
      throw this.error(isControl(c) ? `control character ${describeChar(c)}` : `unexpected ${visible(c)} where a key should be`);
    }
    return this.text.slice(start, this.pos);
  }

  private value(): SamConfigValue {
    const c = this.peek();
    if (c === '"' || c === "'") return this.scalar();
    if (c === '[') return this.array();
    if (c === '{') throw this.error('inline tables ({…}) are not supported in samconfig.toml');
    if (c === undefined || c === '\n' || c === '#') throw this.error('missing value after =');
    return this.scalar();
  }

  private scalar(): SamConfigScalar {
    const c = this.peek();
    if (c === '"') return this.basicString();
    if (c === "'") return this.literalString();
    const match = /^[^\s,\]#]+/.exec(this.text.slice(this.pos, this.pos + 200));
    const word = match?.[0] ?? '';
    if (word === 'true' || word === 'false') {
      this.pos += word.length;
      return word === 'true';
    }
    // TOML's decimal integers and floats, underscores between digits; no inf, nan, hex or dates.
    if (/^[+-]?(0|[1-9](_?\d)*)(\.\d(_?\d)*)?([eE][+-]?\d(_?\d)*)?$/.test(word)) {
      this.pos += word.length;
      return Number(word.replaceAll('_', ''));
    }
    if (c !== undefined && isControl(c)) throw this.error(`control character ${describeChar(c)}`);
    throw this.error(`unsupported value ${visible(word || (c ?? ''))}: write a "string", a number, true or false, or a [list]`);
  }

  private array(): SamConfigScalar[] {
    const startLine = this.line;
    this.pos++;
    const items: SamConfigScalar[] = [];
    for (;;) {
      this.skipArrayBlanks(startLine);
      if (this.peek() === ']') {
        this.pos++;
        return items;
      }
      if (this.peek() === '[') throw this.error('nested arrays are not supported in samconfig.toml');
      if (this.peek() === '{') throw this.error('inline tables ({…}) are not supported in samconfig.toml');
      items.push(this.scalar());
      this.skipArrayBlanks(startLine);
      const c = this.peek();
      if (c === ',') this.pos++;
      else if (c !== ']') throw this.error(`expected , or ] in an array, not ${visible(c ?? '')}`);
    }
  }

  /** Inside an array, new lines and comments are blanks too. */
  private skipArrayBlanks(startLine: number): void {
    for (;;) {
      this.skipBlanks();
      const c = this.peek();
      if (c === undefined) throw new TomlSyntaxError(startLine, 'unterminated array');
      if (c === '#') {
        while (this.peek() !== undefined && this.peek() !== '\n') {
          if (isControl(this.peek()!)) throw this.error(`control character ${describeChar(this.peek()!)} in a comment`);
          this.pos++;
        }
      } else if (c === '\n') {
        this.pos++;
        this.line++;
      } else return;
    }
  }

  private basicString(): string {
    if (this.text.startsWith('"""', this.pos)) throw this.error('multi-line strings ("""…""") are not supported in samconfig.toml');
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '\n') throw this.error('unterminated string');
      this.pos++;
      if (c === '"') return out;
      if (c === '\\') {
        const e = this.peek();
        if (e === 'u' || e === 'U') {
          const digits = e === 'u' ? 4 : 8;
          const hex = this.text.slice(this.pos + 1, this.pos + 1 + digits);
          const code = /^[0-9a-fA-F]+$/.test(hex) && hex.length === digits ? parseInt(hex, 16) : NaN;
          if (!(code <= 0x10ffff) || (code >= 0xd800 && code <= 0xdfff)) throw this.error(`invalid escape \\${e}${visible(hex)}`);
          out += String.fromCodePoint(code);
          this.pos += 1 + digits;
        } else if (e !== undefined && ESCAPES[e] !== undefined) {
          out += ESCAPES[e];
          this.pos++;
        } else {
          throw this.error(e === undefined || e === '\n' ? 'unterminated string' : `invalid escape \\${visible(e)} in a string`);
        }
      } else if (isControl(c)) {
        throw this.error(`control character ${describeChar(c)} in a string (write it as an escape)`);
      } else {
        out += c;
      }
    }
  }

  private literalString(): string {
    if (this.text.startsWith("'''", this.pos)) throw this.error("multi-line strings ('''…''') are not supported in samconfig.toml");
    this.pos++;
    const start = this.pos;
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '\n') throw this.error('unterminated string');
      if (c === "'") {
        this.pos++;
        return this.text.slice(start, this.pos - 1);
      }
      if (isControl(c)) throw this.error(`control character ${describeChar(c)} in a string`);
      this.pos++;
    }
  }
}
