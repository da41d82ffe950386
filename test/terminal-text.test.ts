/**
 * What lambda-kit shows of the outside world (src/text/): control characters made visible, one
 * line whatever the input, long lines cut with a marker, bytes that are not UTF-8 kept as `\xNN`,
 * JSON looked at without recursion, and secrets masked. Property-based where the input is
 * hostile by nature.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonSyntaxError, nestingDepth } from '../src/text/json-text.js';
import { MASK, maskParameterOverrides, maskSecrets, maskUrlCredentials } from '../src/text/secret-masking.js';
import { isUtf8, showable, showableBytes, showableJson, showableLine } from '../src/text/terminal-text.js';

/** C0, DEL, C1, bidi overrides and isolates, line/paragraph separators, lone surrogates. */
const UNSAFE_CHAR =
  /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Strings rich in what a hostile log line holds, beside ordinary and astral text. */
const hostileText = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      '\x1b',
      '\x07',
      '\x00',
      '\x7f',
      '\x9b',
      '\x85',
      '\n',
      '\r',
      '\t',
      '\u2028',
      '\u202e',
      '\u2066',
      '\ud800',
      '\udfff',
      '\\',
      '"',
      '€',
      '😀',
    ),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 80,
});

describe('showable', () => {
  it('shows the escape-injection line as visible text', () => {
    expect(showable('\u001b]0;pwned\u0007\u001b[2J')).toBe('\\u001b]0;pwned\\u0007\\u001b[2J');
    expect(showable('a\nb\tc\rd')).toBe('a\\nb\\tc\\rd');
    expect(showable('\u009b31m \u202egnp.exe')).toBe('\\u009b31m \\u202egnp.exe');
  });

  it('leaves no control character and no newline, for any string', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const shown = showable(text);
        expect(shown).not.toMatch(UNSAFE_CHAR);
        expect(shown.split('\n')).toHaveLength(1);
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves printable text unchanged', () => {
    fc.assert(
      fc.property(
        hostileText.filter((text) => !UNSAFE_CHAR.test(text)),
        (text) => {
          expect(showable(text)).toBe(text);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('escapes the JSON way: a JSON text made showable means the same', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        expect(JSON.parse(showable(JSON.stringify(text)))).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('showableJson', () => {
  it('is indented JSON with the same value and no control character but its newlines', () => {
    fc.assert(
      fc.property(fc.jsonValue(), hostileText, (value, text) => {
        const doc = { value, text };
        const shown = showableJson(doc);
        expect(JSON.parse(shown)).toEqual(JSON.parse(JSON.stringify(doc)));
        for (const line of shown.split('\n')) expect(line).not.toMatch(UNSAFE_CHAR);
      }),
    );
  });
});

describe('showableLine', () => {
  it('cuts a long line with a marker saying how much is left out, never inside a surrogate pair', () => {
    expect(showableLine('x'.repeat(50), 10)).toBe(`${'x'.repeat(10)}… [40 more characters not shown]`);
    expect(showableLine(`${'x'.repeat(9)}😀tail`, 10)).toBe(`${'x'.repeat(9)}… [6 more characters not shown]`);
  });

  it('is one bounded line for any input', () => {
    fc.assert(
      fc.property(hostileText, fc.integer({ min: 1, max: 40 }), (text, max) => {
        const shown = showableLine(text, max);
        expect(shown).not.toMatch(UNSAFE_CHAR);
        // Each character escapes to at most 6 (`\u001b`); the marker is short.
        expect(shown.length).toBeLessThanOrEqual(6 * max + 40);
      }),
    );
  });
});

describe('showableBytes', () => {
  it('keeps bytes that are not UTF-8 as \\xNN rather than U+FFFD', () => {
    expect(showableBytes(Buffer.from([0x68, 0x69, 0x80, 0xff, 0xc3, 0xa9, 0x1b]))).toBe('hi\\x80\\xffé\\u001b');
    expect(showableBytes(Buffer.from([0xe2, 0x82]))).toBe('\\xe2\\x82');
    expect(showableBytes(Buffer.from('abcdef'), 3)).toBe('abc… [3 more bytes not shown]');
  });

  it('decodes valid UTF-8 as showable does, and shows any bytes without a control character or U+FFFD', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const bytes = Buffer.from(text, 'utf8');
        expect(showableBytes(bytes, 1 << 20)).toBe(showable(bytes.toString('utf8')));
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const shown = showableBytes(bytes);
        expect(shown).not.toMatch(UNSAFE_CHAR);
        if (!Buffer.from(bytes).includes(Buffer.from('\ufffd'))) expect(shown).not.toContain('\ufffd');
        expect(isUtf8(bytes)).toBe(Buffer.from(Buffer.from(bytes).toString('utf8'), 'utf8').equals(Buffer.from(bytes)));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('JSON without recursion', () => {
  it('measures any depth, 100,000 levels included', () => {
    expect(nestingDepth(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)).toBe(100_000);
    expect(nestingDepth('{"a": "[[[[", "b": [{}]}')).toBe(3);
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const depth = (v: unknown): number => (typeof v === 'object' && v !== null ? 1 + Math.max(0, ...Object.values(v).map(depth)) : 0);
        expect(nestingDepth(JSON.stringify(value))).toBe(depth(value));
      }),
    );
  });

  it('finds where a text stops being JSON, exactly when JSON.parse refuses it', () => {
    expect(jsonSyntaxError('{"a": 1}')).toBeUndefined();
    expect(jsonSyntaxError('password=hunter2')).toEqual({ line: 1, column: 1, problem: 'expected a value' });
    expect(jsonSyntaxError('{\n  "a": 1,\n  "b": tru\n}')).toEqual({ line: 3, column: 8, problem: 'expected a value' });
    expect(jsonSyntaxError('{"a": "x\ny"}')?.problem).toBe('a control character inside a string');
    expect(jsonSyntaxError(`${'['.repeat(100_000)}`)?.problem).toBe('the text ends too early');
    const nearlyJson = fc
      .tuple(fc.json(), fc.nat(), fc.constantFrom('', ',', '}', ']', '"', ':', '\\', 'x', '\n', '-', '0', '{', '[', 'e'), fc.boolean())
      .map(([json, at, insert, remove]) => {
        const i = at % (json.length + 1);
        return json.slice(0, i) + insert + json.slice(remove ? i + 1 : i);
      });
    fc.assert(
      fc.property(fc.oneof(fc.json(), nearlyJson, hostileText), (text) => {
        let parses = true;
        try {
          JSON.parse(text);
        } catch {
          parses = false;
        }
        expect(jsonSyntaxError(text) === undefined).toBe(parses);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('secrets', () => {
  it('masks the password of any URL, and only that', () => {
    expect(maskUrlCredentials('cannot reach AWS (ECONNREFUSED) at http://admin:s3cr3t@127.0.0.1:4566')).toBe(
      'cannot reach AWS (ECONNREFUSED) at http://admin:****@127.0.0.1:4566',
    );
    expect(maskUrlCredentials('https://127.0.0.1:4566/x?a=b:c@d')).toBe('https://127.0.0.1:4566/x?a=b:c@d');
    const part = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.~%!$'.split('')), minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(part, part, (user, password) => {
        expect(maskUrlCredentials(`AWS_ENDPOINT_URL=http://${user}:${password}@localhost:5000/`)).toBe(
          `AWS_ENDPOINT_URL=http://${user}:${MASK}@localhost:5000/`,
        );
      }),
    );
  });

  it('masks the values of NoEcho parameters and of names that look secret, in every form sam takes', () => {
    const masked = maskParameterOverrides(
      ['DbPassword=hunter2', 'Env=prod ApiKey="a b c" Other=1', 'ParameterKey=Pin,ParameterValue=1234', 'ReservedConcurrency=10'],
      new Set(['Pin']),
    );
    expect(masked.shown).toEqual([
      'DbPassword=****',
      'Env=prod ApiKey=**** Other=1',
      'ParameterKey=Pin,ParameterValue=****',
      'ReservedConcurrency=10',
    ]);
    expect(masked.secrets).toEqual(['hunter2', 'a b c', '1234']);
    expect(maskSecrets('Parameter overrides: {"DbPassword": "hunter2"}', masked.secrets)).toBe(
      'Parameter overrides: {"DbPassword": "****"}',
    );
  });

  it('never shows a secret value, whatever it is', () => {
    const value = fc.string({
      unit: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }).filter((c) => !/\s|["']/.test(c)),
      minLength: 1,
      maxLength: 30,
    });
    fc.assert(
      fc.property(
        fc.constantFrom('DbPassword', 'GITHUB_TOKEN', 'ClientSecret', 'ApiKey', 'AwsCredential', 'Plain'),
        value,
        (name, secret) => {
          const noEcho = new Set(['Plain']);
          const masked = maskParameterOverrides([`${name}=${secret}`], noEcho);
          expect(masked.shown).toEqual([`${name}=${MASK}`]);
          if (secret.length >= 4 && !MASK.includes(secret))
            expect(maskSecrets(`sam said ${secret}!`, masked.secrets)).not.toContain(secret);
        },
      ),
    );
  });
});
