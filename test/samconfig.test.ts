/**
 * samconfig.toml as lambda-kit reads it: the TOML subset samconfig files are written in, and a
 * one-line error with the file and line for anything else, never a line silently skipped.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import { parseSamConfig, samConfigString, samConfigValue } from '../src/project/samconfig.js';
import { renderProject } from '../src/scaffold/render.js';
import { resolveSpec } from '../src/scaffold/spec.js';

/** The error parseSamConfig throws for `text`, or undefined if it parses. */
function errorOf(text: string): UserError | undefined {
  try {
    parseSamConfig(text);
    return undefined;
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
}

describe('parseSamConfig refuses what it does not understand, with the file and line', () => {
  it.each([
    [
      'a string without its closing quote',
      'version = 0.1\n[default.deploy.parameters]\nstack_name = "x-scratch\n',
      'samconfig.toml:3: unterminated string',
    ],
    [
      'a literal string without its closing quote',
      "[default.deploy.parameters]\nregion = 'eu-west-1\n",
      'samconfig.toml:2: unterminated string',
    ],
    [
      'a key outside a table',
      'version = 0.1\nstack_name = "x"\n[default.deploy.parameters]\n',
      'samconfig.toml:2: stack_name is outside a table',
    ],
    [
      'a duplicate key',
      '[default.deploy.parameters]\nstack_name = "a"\nstack_name = "b"\n',
      'samconfig.toml:3: duplicate key stack_name in [default.deploy.parameters]',
    ],
    [
      'a table defined twice',
      '[default.deploy.parameters]\na = 1\n[ default . deploy . parameters ]\n',
      'samconfig.toml:3: table [default.deploy.parameters] is defined twice',
    ],
    ['junk after a value', '[default.deploy.parameters]\nstack_name = "a" "b"\n', 'samconfig.toml:2: unexpected "b" after the value'],
    ['a bare word for a value', '[default.deploy.parameters]\nstack_name = x-scratch\n', 'samconfig.toml:2: unsupported value x-scratch'],
    ['a date', '[default.deploy.parameters]\nwhen = 2026-11-30\n', 'samconfig.toml:2: unsupported value 2026-11-30'],
    ['an inline table', '[default.deploy.parameters]\ntags = { a = "b" }\n', 'samconfig.toml:2: inline tables'],
    ['an array of tables', '[[default.deploy.parameters]]\n', 'samconfig.toml:1: arrays of tables'],
    ['a dotted key', '[default]\ndeploy.parameters = 1\n', 'samconfig.toml:2: dotted keys'],
    ['a missing value', '[default.deploy.parameters]\nstack_name =\n', 'samconfig.toml:2: missing value after ='],
    ['a line that is not a pair', '[default.deploy.parameters]\nstack_name "x"\n', 'samconfig.toml:2: expected = after stack_name'],
    ['an unterminated header', '[default.deploy.parameters\n', 'samconfig.toml:1: unterminated table header'],
    ['an unterminated array', '[default.deploy.parameters]\ncapabilities = ["A",\n"B"\n', 'samconfig.toml:2: unterminated array'],
    ['NUL in a string', '[default.deploy.parameters]\nstack_name = "a\0b"\n', 'samconfig.toml:2: control character U+0000 in a string'],
    ['ESC in a comment', '[default.deploy.parameters] # \u001b[2J\n', 'samconfig.toml:1: control character U+001B in a comment'],
    ['an invalid escape', '[default.deploy.parameters]\nstack_name = "a\\qb"\n', 'samconfig.toml:2: invalid escape \\q'],
    ['a multi-line string', '[default.deploy.parameters]\nparameter_overrides = """a\nb"""\n', 'samconfig.toml:2: multi-line strings'],
  ])('%s', (_, text, message) => {
    const error = errorOf(text);
    expect(error?.message).toContain(message);
    expect(error?.message).not.toMatch(/\n/);
  });
});

describe('parseSamConfig reads the subset', () => {
  it('reads every generated samconfig.toml', () => {
    for (const trigger of ['api', 'kinesis', 's3', 'sqs']) {
      const files = renderProject(resolveSpec({ name: 'orders', trigger, arch: 'arm64' }));
      const config = parseSamConfig(files.get('samconfig.toml')!);
      expect(samConfigValue(config, 'deploy', 'stack_name')).toBe('orders');
      expect(samConfigValue(config, 'deploy', 'capabilities')).toBe('CAPABILITY_IAM');
      expect(samConfigValue(config, 'build', 'cached')).toBe(false);
      expect(config.get('')?.get('version')).toBe(0.1);
    }
  });

  it('reads escapes, literal strings, numbers, multi-line arrays with comments, CRLF and quoted keys', () => {
    const config = parseSamConfig(
      '\uFEFFversion = 0.1\r\n["default".deploy.parameters]\r\n"stack_name" = "a\\u00e9\\tb"\r\nregion = \'eu-west-1\'\r\nretries = 1_000\r\n' +
        'ratio = -2.5e3\r\ncapabilities = [ # which ones\r\n  "CAPABILITY_IAM",\r\n  \'CAPABILITY_NAMED_IAM\', # trailing comma next\r\n]\r\n',
    );
    expect(samConfigValue(config, 'deploy', 'stack_name')).toBe('a\u00e9\tb');
    expect(samConfigValue(config, 'deploy', 'region')).toBe('eu-west-1');
    expect(samConfigValue(config, 'deploy', 'retries')).toBe(1000);
    expect(samConfigValue(config, 'deploy', 'ratio')).toBe(-2500);
    expect(samConfigValue(config, 'deploy', 'capabilities')).toEqual(['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM']);
  });

  it('refuses a stack_name that is not a string rather than falling back to another name', () => {
    const config = parseSamConfig('[default.deploy.parameters]\nstack_name = 5\n');
    expect(() => samConfigString(config, 'deploy', 'stack_name')).toThrow('samconfig.toml: stack_name must be a non-empty string, not 5');
  });

  const bareKey = fc.stringMatching(/^[a-z_][a-z0-9_-]{0,11}$/);
  const safeText = fc.string({ maxLength: 30 }).filter((s) => !/[\u0000-\u001f\u007f"\\]/.test(s));
  const scalar = fc.oneof(safeText, fc.integer({ min: -1e9, max: 1e9 }), fc.boolean());
  const toml = (value: string | number | boolean): string => (typeof value === 'string' ? JSON.stringify(value) : String(value));

  it('reads back whatever it is given in its subset (property)', () => {
    const tables = fc.dictionary(
      fc.stringMatching(/^[a-z]{1,8}$/),
      fc.dictionary(bareKey, fc.oneof(scalar, fc.array(scalar, { maxLength: 4 })), { maxKeys: 6 }),
      { maxKeys: 4 },
    );
    fc.assert(
      fc.property(tables, (config) => {
        const text = Object.entries(config)
          .map(([table, pairs]) => {
            const lines = Object.entries(pairs).map(
              ([k, v]) => `${k} = ${Array.isArray(v) ? `[${v.map(toml).join(', ')}]` : toml(v)}  # note`,
            );
            return `[default.${table}.parameters]\n${lines.join('\n')}\n`;
          })
          .join('\n');
        const parsed = parseSamConfig(`version = 0.1\n${text}`);
        for (const [table, pairs] of Object.entries(config)) {
          for (const [key, value] of Object.entries(pairs)) expect(parsed.get(`default.${table}.parameters`)?.get(key)).toEqual(value);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('parseSamConfig on hostile input (fuzz)', () => {
  const hostileChar = fc.constantFrom(
    '\0',
    '\u001b',
    '\r',
    '\n',
    '\t',
    '"',
    "'",
    '[',
    ']',
    '=',
    '#',
    '\\',
    '{',
    ',',
    '.',
    ' ',
    'é',
    '\u2028',
    'x',
    '1',
  );
  const tomlishLine = fc.oneof(
    fc.constant('[default.deploy.parameters]'),
    fc.constant('stack_name = "x-scratch'),
    fc.tuple(fc.stringMatching(/^[a-z_]{1,10}$/), fc.string({ unit: hostileChar, maxLength: 40 })).map(([k, v]) => `${k} = ${v}`),
    fc.string({ unit: hostileChar, maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.integer({ min: 1, max: 2000 }).map((n) => `a = ${'['.repeat(n)}`),
    fc.integer({ min: 1, max: 100_000 }).map((n) => `a = "${'x'.repeat(n)}"`),
  );

  it('either parses or throws one UserError line naming samconfig.toml and its line', () => {
    fc.assert(
      fc.property(fc.array(tomlishLine, { maxLength: 12 }), (lines) => {
        const text = lines.join('\n');
        const lineCount = text.split('\n').length;
        const started = Date.now();
        try {
          parseSamConfig(text);
        } catch (error) {
          expect(error).toBeInstanceOf(UserError);
          const message = (error as UserError).message;
          expect(message).toMatch(/^samconfig\.toml:\d+: \S/);
          expect(message).not.toMatch(/[\u0000-\u001f\u007f\u2028\u2029]/);
          expect(message.length).toBeLessThan(300);
          expect(Number(/^samconfig\.toml:(\d+)/.exec(message)![1])).toBeLessThanOrEqual(lineCount);
        }
        expect(Date.now() - started).toBeLessThan(1000);
      }),
      { numRuns: 500 },
    );
  });
});
