/**
 * template.yaml as lambda-kit reads it (loadProject): what CloudFormation or Lambda would refuse,
 * and what a local run cannot use, is one line naming template.yaml and the function, at read
 * time; never NaN, an out-of-range number or a value no process environment can hold.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import { isRustFunction, loadProject, pickFunction, type Project } from '../src/project/project.js';
import { tempDir } from './support/cli.js';

/** A template with one function whose Properties (and the template's Parameters and Globals) are given as YAML lines. */
function template(properties: string, extra = ''): string {
  return `Transform: AWS::Serverless-2016-10-31
${extra}
Resources:
  AppFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
    Properties:
      CodeUri: .
      Handler: bootstrap
      Runtime: provided.al2023
${properties
  .split('\n')
  .map((line) => `      ${line}`)
  .join('\n')}
`;
}

async function projectWith(templateText: string, samconfig?: string): Promise<string> {
  const dir = await tempDir('cfl-readers-');
  await writeFile(join(dir, 'template.yaml'), templateText);
  await writeFile(join(dir, 'Cargo.toml'), '[package]\nname = "orders"\nversion = "0.1.0"\n');
  if (samconfig !== undefined) await writeFile(join(dir, 'samconfig.toml'), samconfig);
  return dir;
}

async function loadError(templateText: string): Promise<string> {
  const error = await loadProject(await projectWith(templateText)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  const message = (error as UserError).message;
  expect(message).not.toMatch(/\n/);
  return message;
}

describe('Architectures', () => {
  it.each([
    [
      'Architectures: arm64',
      'template.yaml: AppFunction: Architectures must be a list of one architecture, [arm64] or [x86_64], not arm64',
    ],
    ['Architectures: [mips]', 'not [mips]'],
    ['Architectures: [arm64, x86_64]', 'not [arm64, x86_64]'],
    ['Architectures: []', 'not []'],
    ['Architectures: {a: 1}', 'Architectures is {a: …}, which lambda-kit cannot resolve'],
  ])('%s is one line naming the function', async (line, message) => {
    expect(await loadError(template(line))).toContain(message);
  });

  it('names Globals when the bad value is there', async () => {
    expect(await loadError(template('Timeout: 3', 'Globals:\n  Function:\n    Architectures: x86_64'))).toContain(
      'AppFunction (from Globals): Architectures',
    );
  });

  it('reads [arm64], and !Ref to a parameter with a Default', async () => {
    const project = await loadProject(
      await projectWith(template('Architectures: [!Ref Arch]', 'Parameters:\n  Arch:\n    Type: String\n    Default: arm64')),
    );
    expect(project.functions[0]!.architecture).toBe('arm64');
  });
});

describe('Timeout and MemorySize', () => {
  it.each([
    ['Timeout: 3000000', 'AppFunction: Timeout must be a whole number of seconds from 1 to 900, not 3000000'],
    ['Timeout: -5', 'not -5'],
    ['Timeout: 0', 'not 0'],
    ['Timeout: 2.5', 'not 2.5'],
    ['Timeout: soon', 'not soon'],
    ['Timeout: .nan', 'not NaN'],
    ['Timeout: !Ref T', 'Timeout is !Ref T, which is not a parameter of the template'],
    ['Timeout: !Ref __proto__', 'Timeout is !Ref __proto__, which is not a parameter of the template'],
    ['Timeout: !GetAtt X.Y', 'Timeout is !GetAtt …, which lambda-kit cannot resolve'],
    ['MemorySize: 64', 'MemorySize must be a whole number of MB from 128 to 10240, not 64'],
    ['MemorySize: 20000', 'not 20000'],
  ])('%s is refused at read', async (line, message) => {
    expect(await loadError(template(line))).toContain(message);
  });

  it('!Ref to a parameter without a Default is a clear error', async () => {
    expect(await loadError(template('Timeout: !Ref T', 'Parameters:\n  T:\n    Type: Number'))).toContain(
      'Timeout is !Ref T, and parameter T has no Default: give it one, or write the value itself',
    );
  });

  it('!Ref to a parameter resolves to its Default, checked like a literal', async () => {
    const parameters = 'Parameters:\n  T:\n    Type: Number\n    Default: 45\n  M:\n    Type: Number\n    Default: "1024"';
    const project = await loadProject(await projectWith(template('Timeout: !Ref T\nMemorySize: !Ref M', parameters)));
    expect(project.functions[0]).toMatchObject({ timeout: 45, memorySize: 1024 });
    expect(await loadError(template('Timeout: !Ref T', 'Parameters:\n  T:\n    Type: Number\n    Default: 901'))).toContain('not 901');
  });

  it('defaults to Lambda’s 3 s and 128 MB', async () => {
    const project = await loadProject(await projectWith(template('Description: x')));
    expect(project.functions[0]).toMatchObject({ timeout: 3, memorySize: 128 });
  });
});

describe('environment variables', () => {
  it('a NUL in a value is refused at read, naming the variable', async () => {
    expect(await loadError(template('Environment:\n  Variables:\n    TABLE_NAME: "a\\0b"'))).toBe(
      'template.yaml: AppFunction: environment variable TABLE_NAME holds a NUL character, which no environment variable can',
    );
  });

  it('a name Lambda refuses, and Variables that are not a mapping, are refused', async () => {
    expect(await loadError(template('Environment:\n  Variables:\n    "A=B": x'))).toContain(
      'environment variable "A=B" is not a valid name',
    );
    expect(await loadError(template('Environment:\n  Variables: [a, b]'))).toContain('Environment must be a mapping with Variables');
  });

  it('Variables that are an intrinsic are refused rather than read as a variable named Ref', async () => {
    expect(await loadError(template('Environment:\n  Variables: !Ref Vars'))).toContain(
      'Environment.Variables is !Ref Vars, which lambda-kit cannot resolve',
    );
  });

  it('control characters other than NUL are kept as they are', async () => {
    const project = await loadProject(await projectWith(template(`Environment:\n  Variables:\n    ESC: "\\e[2J\\x07\\n"`)));
    expect(project.functions[0]!.environment).toEqual({ ESC: '\u001b[2J\u0007\n' });
  });

  it('a huge value is refused as Lambda refuses it: over 4 KB of variables in all', async () => {
    expect(await loadError(template(`Environment:\n  Variables:\n    BIG: ${'x'.repeat(1_000_000)}`))).toBe(
      'template.yaml: AppFunction: its environment variables take 1,000,003 bytes, and Lambda allows 4 KB (4,096 bytes) in all',
    );
    const fits = await loadProject(await projectWith(template(`Environment:\n  Variables:\n    BIG: ${'x'.repeat(4093)}`)));
    expect(fits.functions[0]!.environment.BIG).toHaveLength(4093);
  });
});

describe('YAML', () => {
  it('an unknown tag is one line with its line number, not a warning of several lines', async () => {
    expect(await loadError(template('Timeout: !Reff T'))).toBe(
      "template.yaml:12: not valid YAML: unknown tag !Reff (CloudFormation's are !Ref, !GetAtt, !Sub, …)",
    );
  });

  it('a template.yaml that cannot be read is one line', async () => {
    const dir = await tempDir('cfl-readers-');
    await mkdir(join(dir, 'template.yaml'));
    await expect(loadProject(dir)).rejects.toThrow('cannot read template.yaml: it is a directory');
  });

  it('a template.yaml that links to nowhere, or is not UTF-8, is one line', async () => {
    const dir = await tempDir('cfl-readers-');
    await symlink('gone.yaml', join(dir, 'template.yaml'));
    await expect(loadProject(dir)).rejects.toThrow('template.yaml is a symbolic link to "gone.yaml", which does not exist');
    const latin1 = await projectWith('Resources: {}\n');
    await writeFile(join(latin1, 'template.yaml'), Buffer.from([0x52, 0x3a, 0x20, 0xe9, 0x0a]));
    await expect(loadProject(latin1)).rejects.toThrow('template.yaml is not UTF-8 text');
  });

  it('other properties that would reach a path or an environment are checked', async () => {
    expect(await loadError(template('FunctionName: "a\\nb"'))).toContain('FunctionName holds a control character: a\\nb');
    expect(await loadError(template('LoggingConfig:\n  LogFormat: Yaml'))).toContain(
      'LoggingConfig.LogFormat must be one of Text, JSON, not Yaml',
    );
    // A runtime that is not a string is no runtime, not a crash in isRustFunction.
    const project = await loadProject(await projectWith(template('Timeout: 3').replace('Runtime: provided.al2023', 'Runtime: 5')));
    expect(isRustFunction(project.functions[0]!)).toBe(true);
  });
});

describe('logical ids', () => {
  it('must be letters and digits, as CloudFormation says, so they are safe to name', async () => {
    const text = template('Timeout: 3').replace('  AppFunction:', '  "App\\nFunction":');
    expect(await loadError(text)).toBe('template.yaml: "App\\nFunction": a logical id must be letters and digits only');
  });

  it('a --function that is not there is named on one line', async () => {
    const project = await loadProject(await projectWith(template('Timeout: 3')));
    expect(() => pickFunction(project, 'A\nB\u001b[2J')).toThrow(/^no function A\\nB\\u001b\[2J in template\.yaml; it has AppFunction$/);
  });
});

describe('samconfig.toml is read with the project', () => {
  it('a samconfig.toml that does not parse stops loadProject with its line', async () => {
    const dir = await projectWith(template('Timeout: 3'), '[default.deploy.parameters]\nstack_name = "x-scratch\n');
    await expect(loadProject(dir)).rejects.toThrow('samconfig.toml:2: unterminated string');
  });
});

describe('the template reader on hostile input (fuzz)', () => {
  const word = fc.constantFrom(
    'Resources',
    'Globals',
    'Function',
    'Properties',
    'Type',
    'AWS::Serverless::Function',
    'Architectures',
    'Timeout',
  );
  const more = fc.constantFrom(
    'MemorySize',
    'Environment',
    'Variables',
    'Parameters',
    'Default',
    'CodeUri',
    'Ref',
    'x86_64',
    'arm64',
    'mips',
  );
  const tag = fc.constantFrom('!Ref', '!GetAtt', '!Sub', '!If', '!Reff', '!Foo', '!!str', '!!binary', '!!int', '!');
  const hostile = fc.constantFrom(
    '\0',
    '\u001b',
    '\u0007',
    '\r',
    '\t',
    '\u2028',
    '"',
    "'",
    ':',
    '-',
    '[',
    ']',
    '{',
    '}',
    '&a',
    '*a',
    '#',
    '|',
    '>',
    '%',
  );
  const token = fc.oneof(word, more, tag, hostile, fc.integer({ min: -1e7, max: 1e7 }).map(String), fc.string({ maxLength: 8 }));
  const line = fc
    .tuple(fc.integer({ min: 0, max: 8 }), fc.array(token, { maxLength: 6 }))
    .map(([indent, tokens]) => ' '.repeat(indent) + tokens.join(' '));
  /** A whole function whose values are hostile: scalars where lists go, intrinsics, control characters. */
  const value = fc.oneof(
    token,
    fc.array(token, { maxLength: 3 }).map((t) => `[${t.join(', ')}]`),
    fc.string({ unit: 'binary', maxLength: 20 }).map((s) => JSON.stringify(s)),
  );
  const functionTemplate = fc
    .record({ arch: value, timeout: value, memory: value, env: value, envValue: value })
    .map(({ arch, timeout, memory, env, envValue }) =>
      template(
        `Architectures: ${arch}\nTimeout: ${timeout}\nMemorySize: ${memory}\nEnvironment:\n  Variables:\n    ${env}: ${envValue}`,
        'Parameters:\n  T:\n    Type: Number',
      ),
    );
  const deep = fc.integer({ min: 100, max: 5000 }).map((n) => `Resources: ${'['.repeat(n)}${']'.repeat(n)}`);
  const deepMap = fc
    .integer({ min: 50, max: 1000 })
    .map((n) => `Resources:\n${Array.from({ length: n }, (_, i) => `${' '.repeat(i + 1)}a${i}:`).join('\n')} 1`);
  // A billion laughs: each alias list repeats the one before nine times.
  const laughs = Array.from({ length: 12 }, (_, i) => `b${i}: &b${i} [${`*${i === 0 ? 'a' : `b${i - 1}`}, `.repeat(9)}]`);
  const aliases = fc.constant(`a: &a [x, x, x, x, x, x, x, x, x]\n${laughs.join('\n')}\nResources: *b11`);
  const anyTemplate = fc.oneof(
    functionTemplate,
    fc.array(line, { maxLength: 15 }).map((l) => l.join('\n')),
    deep,
    deepMap,
    aliases,
  );

  it('either yields a project without NaN or throws one UserError line naming template.yaml', async () => {
    const dir = await tempDir('cfl-readers-fuzz-');
    await writeFile(join(dir, 'Cargo.toml'), '[package]\nname = "orders"\nversion = "0.1.0"\n');
    await fc.assert(
      fc.asyncProperty(anyTemplate, async (text) => {
        await writeFile(join(dir, 'template.yaml'), text);
        const started = Date.now();
        let project: Project | undefined;
        try {
          project = await loadProject(dir);
        } catch (error) {
          if (!(error instanceof UserError)) throw new Error(`not a UserError: ${String(error)}`);
          expect(error.message).toMatch(/^template\.yaml\b/);
          expect(error.message).not.toMatch(/[\u0000-\u001f\u007f\u2028\u2029]/);
          expect(error.message.length).toBeLessThan(400);
        }
        for (const fn of project?.functions ?? []) {
          expect(fn.timeout).toBeGreaterThanOrEqual(1);
          expect(fn.timeout).toBeLessThanOrEqual(900);
          expect(Number.isInteger(fn.memorySize) && fn.memorySize >= 128 && fn.memorySize <= 10240).toBe(true);
          expect(['arm64', 'x86_64']).toContain(fn.architecture);
          for (const value of Object.values(fn.environment)) if (typeof value === 'string') expect(value).not.toContain('\0');
        }
        expect(Date.now() - started).toBeLessThan(5000);
      }),
      { numRuns: 150 },
    );
  });
});
