/**
 * The validator against hostile input: names that break the generated crate, JWT values that
 * break the generated JSON and YAML or Lambda's limits, and messages that must stay one line.
 * Properties (fast-check) over generated input, and the cases the adversarial pass found.
 */
import fc from 'fast-check';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { EXAMPLES } from '../src/scaffold/catalog.js';
import { UserError } from '../src/errors.js';
import { renderProject } from '../src/scaffold/render.js';
import { abbreviateForMessage, quoteForMessage } from '../src/scaffold/quote.js';
import { jwtAudienceProblem, jwtIssuerProblem, nameProblem, resolveSpec, type RawAnswers } from '../src/scaffold/spec.js';
import { ALL_SPECS } from './support/specs.js';

/** The crates a rendered Cargo.toml depends on, read with a plain line scan of its [*dependencies] tables. */
function renderedDependencies(cargoToml: string): string[] {
  const names: string[] = [];
  let inDependencies = false;
  for (const line of cargoToml.split('\n')) {
    const header = /^\s*\[([^\]]+)\]/.exec(line);
    if (header) {
      inDependencies = /(^|\.)(dev-|build-)?dependencies$/.test(header[1]!);
      continue;
    }
    const key = /^\s*([A-Za-z0-9_-]+)\s*=/.exec(line);
    if (inDependencies && key) names.push(key[1]!);
  }
  return names;
}

const everyProject = [
  ...ALL_SPECS,
  ...EXAMPLES.flatMap((example) =>
    [true, false].map((twins) => resolveSpec({ name: `ex-${example.id}`, example: example.id, twins: String(twins) })),
  ),
];

function problemOf(run: () => unknown): UserError | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
}

describe('project names that break the crate', () => {
  it('refuses the name of every crate any generated Cargo.toml depends on (with dashes or underscores)', () => {
    const dependencies = new Set(everyProject.flatMap((spec) => renderedDependencies(renderProject(spec).get('Cargo.toml')!)));
    expect(dependencies).toContain('rayon');
    for (const crate of dependencies) {
      for (const name of [crate, crate.replaceAll('_', '-')]) {
        if (/^[a-z][a-z0-9-]*$/.test(name)) expect(nameProblem(name), name).toMatch(/is taken/);
      }
    }
  });

  it('refuses --example churn --name rayon, which would not compile (E0464)', () => {
    const error = problemOf(() => resolveSpec({ example: 'churn', name: 'rayon' }));
    expect(error?.message).toBe(
      'Invalid --name "rayon": is taken: Rust or the generated project already uses a crate or keyword of that name.',
    );
    expect(error?.exitCode).toBe(2);
  });

  it.each(['std', 'core', 'alloc', 'test', 'proc-macro', 'self', 'crate', 'fn', 'gen', 'deps', 'build', 'examples', 'incremental'])(
    'refuses %s, a Rust keyword, standard crate or a name Cargo keeps',
    (name) => {
      expect(nameProblem(name)).toMatch(/is taken/);
    },
  );
});

describe('JWT issuer and audience', () => {
  it.each([
    ['HTTPS://idp.example.com/', /lower-case https:\/\//],
    ['Https://idp.example.com/', /lower-case https:\/\//],
    ['https://idp.example.com/?tenant=1', /without query, fragment or credentials/],
    ['https://idp.example.com/?', /without query, fragment or credentials/],
    ['https://idp.example.com/#', /without query, fragment or credentials/],
    ['https://idp.example.com/#x', /without query, fragment or credentials/],
    ['https://user:pass@idp.example.com/', /without query, fragment or credentials/],
    ['https://:pass@idp.example.com/', /without query, fragment or credentials/],
    ['https://@idp.example.com/', /without query, fragment or credentials/],
    ['https://idp.example.com/\n', /control characters/],
    ['https://idp.exa\tmple.com/', /control characters/],
    ['https://idp.example.com/\u001b[2J', /control characters/],
    ['https://idp.example.com/\u0000', /control characters/],
  ])('refuses the issuer %j', (issuer, problem) => {
    expect(jwtIssuerProblem(issuer, 'http')).toMatch(problem);
  });

  it('takes plain https issuers, with a path and a port', () => {
    for (const issuer of [
      'https://idp.example.com/',
      'https://idp.example.com:8443/realms/x',
      'https://example.auth0.com',
      'https://idp.example.com/@tenant',
    ]) {
      expect(jwtIssuerProblem(issuer, 'http'), issuer).toBeUndefined();
    }
  });

  it.each(['a\u0007b', 'web\u0000', 'x\u001b]0;pwned\u0007', 'a\u0085b', 'a\u2028b'])(
    'refuses the audience %j (control characters)',
    (audience) => {
      expect(jwtAudienceProblem(audience)).toMatch(/control characters/);
    },
  );

  it("refuses an audience too large for Lambda's 4 KB environment, naming the limit", () => {
    expect(jwtAudienceProblem('a'.repeat(5000))).toMatch(/at most 3584 bytes.*4 KB/);
    // Bytes, not characters: 1,200 three-byte characters are 3,600 bytes.
    expect(jwtAudienceProblem('€'.repeat(1200))).toMatch(/at most 3584 bytes/);
    expect(jwtAudienceProblem('a'.repeat(3584))).toBeUndefined();
  });
});

describe('messages stay one line', () => {
  it('shows a newline or an escape in a value as an escape, and cuts a huge value short', () => {
    expect(problemOf(() => resolveSpec({ name: 'a\nb' }))?.message).toBe(
      'Invalid --name "a\\nb": may only hold lowercase letters, digits and dashes, not "\\n" (it names the crate and the stack).',
    );
    const huge = problemOf(() => resolveSpec({ name: 'x', trigger: 'q'.repeat(10_000) }))!.message;
    expect(huge).toMatch(/^Invalid --trigger "q+… \(10000 characters\)": choose api, kinesis, s3, sqs, dynamodb-stream or schedule\.$/);
    expect(huge.length).toBeLessThan(200);
    const clearScreen = problemOf(() => resolveSpec({ name: 'x', arch: '\u001b[2Jarm' }))!.message;
    expect(clearScreen).toBe('Invalid --arch "\\u001b[2Jarm": choose arm64 or x86_64.');
  });
});

/** Strings an attacker would try: controls, unicode, quotes, huge, and the catalog's own words. */
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom('a', '-', '\n', '\r', '\t', '\u0000', '\u001b', '"', '\\', '/', ':', '?', '#', '@', ' ', '€', '\u2028', '{', '}'),
    maxLength: 30,
  }),
  fc.constantFrom(
    'api',
    'http',
    'rest',
    'jwt',
    'iam',
    'public',
    'sqs',
    'kinesis',
    's3',
    'dynamodb',
    'none',
    'arm64',
    'x86_64',
    'churn',
    'true',
    'false',
  ),
  fc.constantFrom('512', '10', '30', '14', '0', '-1', '1e3', '29.5', 'rayon', 'tokio', 'std', 'https://idp.example.com/', 'web-client'),
  fc.nat({ max: 20_000 }).map((n) => 'z'.repeat(n)),
);

const hostileAnswers: fc.Arbitrary<RawAnswers> = fc.record(
  {
    example: hostileString,
    twins: hostileString,
    name: hostileString,
    trigger: hostileString,
    api: hostileString,
    auth: hostileString,
    jwtIssuer: hostileString,
    jwtAudience: hostileString,
    sink: hostileString,
    arch: hostileString,
    memory: hostileString,
    timeout: hostileString,
    logRetention: hostileString,
  },
  { requiredKeys: [] },
);

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** What showable (src/text/terminal-text.ts) escapes: CONTROL, bidi overrides and lone surrogates too. */
const ESCAPED =
  /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('values echoed in messages', () => {
  it('never carry a control character, and an abbreviated one stays short', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        expect(quoteForMessage(text)).not.toMatch(CONTROL);
        expect(abbreviateForMessage(text)).not.toMatch(CONTROL);
        // Each character shows as at most six ("\u001b"), and the length note adds about twenty.
        expect([...abbreviateForMessage(text)].length).toBeLessThanOrEqual(60 * 6 + 25);
        // Text with nothing to escape (no control, bidi or separator character, no lone surrogate) comes back as it was.
        if (!ESCAPED.test(text)) expect(quoteForMessage(text)).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('resolveSpec under generated hostile input', () => {
  it('either returns a spec that keeps every promise, or throws one short line with exit code 2', () => {
    fc.assert(
      fc.property(hostileAnswers, (raw) => {
        let spec;
        try {
          spec = resolveSpec(raw);
        } catch (error) {
          expect(error).toBeInstanceOf(UserError);
          const { message, exitCode } = error as UserError;
          expect(exitCode).toBe(2);
          expect(message).not.toMatch(CONTROL);
          expect(message.length).toBeLessThan(600);
          return;
        }
        expect(nameProblem(spec.name, spec.trigger)).toBeUndefined();
        for (const value of [spec.name, spec.jwtIssuer, spec.jwtAudience]) expect(value).not.toMatch(CONTROL);
        if (spec.auth === 'jwt') {
          expect(jwtIssuerProblem(spec.jwtIssuer, spec.api)).toBeUndefined();
          expect(Buffer.byteLength(spec.jwtAudience)).toBeLessThanOrEqual(3584);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('renders valid YAML and JSON for any JWT issuer and audience it accepts', () => {
    const printable = fc.string({ unit: 'binary', minLength: 1, maxLength: 24 });
    fc.assert(
      fc.property(printable, printable, (host, audience) => {
        const issuer = `https://${host}.example.com/`;
        let spec;
        try {
          spec = resolveSpec({ name: 'jwt-fn', auth: 'jwt', api: 'http', jwtIssuer: issuer, jwtAudience: audience });
        } catch (error) {
          expect(error).toBeInstanceOf(UserError);
          return;
        }
        const files = renderProject(spec);
        const template = parseDocument(files.get('template.yaml')!);
        expect(template.errors).toEqual([]);
        expect(JSON.stringify(template.toJS())).toContain(JSON.stringify(spec.jwtAudience));
        const event = JSON.parse(files.get('events/api.json')!) as unknown;
        expect(JSON.stringify(event)).toContain(JSON.stringify(spec.jwtAudience));
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
