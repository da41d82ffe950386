/**
 * create-fast-lambda as a user meets it: the real bin, spawned with flags, or driven through a
 * pseudo-terminal with keystrokes.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CREATE_BIN, listTree, runBin, tempDir, userEnv } from './support/cli.js';
import { KEY, spawnInPty } from './support/pty.js';

/** What --yes and the prompt default to: this machine's architecture. */
const HOST_ARCH = process.arch === 'x64' ? 'x86_64' : 'arm64';

const ALL = ['--trigger', 'sqs', '--sink', 'dynamodb', '--arch', 'x86_64', '--memory', '256', '--timeout', '20'];

describe('create-fast-lambda with flags', () => {
  it('prints help and version without touching the disk', async () => {
    const cwd = await tempDir();
    const help = await runBin(CREATE_BIN, ['--help'], cwd);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('--trigger <trigger>    api|kinesis|s3|sqs');
    const version = await runBin(CREATE_BIN, ['--version'], cwd);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+$/);
    expect(await readdir(cwd)).toEqual([]);
  });

  it('creates a project from flags alone, without prompting', async () => {
    const cwd = await tempDir();
    const result = await runBin(CREATE_BIN, ['orders', ...ALL], cwd);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Created orders in ./orders: SQS → DynamoDB, x86_64, 256 MB, 20 s.');
    expect(result.stdout).toContain('cd orders');
    const files = await listTree(join(cwd, 'orders'));
    expect(files).toEqual(expect.arrayContaining(['.gitignore', 'Cargo.toml', 'template.yaml', 'samconfig.toml', 'events/sqs.json']));
    expect(files).not.toContain('_gitignore');
    const template = await readFile(join(cwd, 'orders/template.yaml'), 'utf8');
    expect(template).toContain('MemorySize: 256');
  });

  it('takes the defaults with --yes, naming the project after the directory', async () => {
    const cwd = await tempDir();
    const result = await runBin(CREATE_BIN, ['my-fn', '--yes'], cwd);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`Created my-fn in ./my-fn: HTTP API (IAM) → DynamoDB, ${HOST_ARCH} (this machine's), 512 MB, 10 s.`);
  });

  it('warns on stderr when the API is public, and says so in the generated README', async () => {
    const cwd = await tempDir();
    const result = await runBin(CREATE_BIN, ['open-api', '--auth', 'public', '--yes'], cwd);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('HTTP API (public) → DynamoDB');
    expect(result.stderr.trim()).toMatch(/^warning: the API is public: anyone on the internet can call POST \/items/);
    expect(await readFile(join(cwd, 'open-api/README.md'), 'utf8')).toMatch(/public/i);
  });

  it('takes a JWT issuer and audience', async () => {
    const cwd = await tempDir();
    const args = [
      'jwt-api',
      '--auth',
      'jwt',
      '--jwt-issuer',
      'https://idp.example.com/',
      '--jwt-audience',
      'web-client',
      '--log-retention',
      '30',
      '--yes',
    ];
    const result = await runBin(CREATE_BIN, args, cwd);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const template = await readFile(join(cwd, 'jwt-api/template.yaml'), 'utf8');
    expect(template).toContain('https://idp.example.com/');
    expect(template).toContain('web-client');
    expect(template).toContain('RetentionInDays: 30');
  });

  it('works in the shape npm create passes it', async () => {
    const cwd = await tempDir();
    // `npm create fast-lambda@latest my-fn -- --trigger sqs --yes` runs the bin with these args.
    const result = await runBin(CREATE_BIN, ['my-fn', '--trigger', 'sqs', '--yes'], cwd);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`SQS → DynamoDB, ${HOST_ARCH} (this machine's), 512 MB, 30 s`);
  });

  it('writes into an existing directory that holds only .git, and keeps .git', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'repo/.git'), { recursive: true });
    await writeFile(join(cwd, 'repo/.git/HEAD'), 'ref: refs/heads/main\n');
    const result = await runBin(CREATE_BIN, ['repo', '--yes'], cwd);
    expect(result.exitCode).toBe(0);
    const files = await listTree(join(cwd, 'repo'));
    expect(files).toContain('.git/HEAD');
    expect(files).toContain('Cargo.toml');
  });

  it('writes into the current directory with "."', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'here'));
    const result = await runBin(CREATE_BIN, ['.', '--yes'], join(cwd, 'here'));
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Created here in .:');
    expect(result.stdout).not.toContain('cd ');
    expect(await listTree(join(cwd, 'here'))).toContain('template.yaml');
  });

  it('creates missing parent directories', async () => {
    const cwd = await tempDir();
    const result = await runBin(CREATE_BIN, ['apps/lambdas/ingest', '--trigger', 'kinesis', '--yes'], cwd);
    expect(result.exitCode).toBe(0);
    expect(await listTree(join(cwd, 'apps/lambdas/ingest'))).toContain('events/kinesis.json');
  });
});

describe('create-fast-lambda refuses bad input with one line, the right exit code and no files', () => {
  const cases: [string, string[], number, RegExp][] = [
    ['a name with a space and capitals', ['--name', 'My App', '--yes'], 2, /Invalid --name "My App": may only hold lowercase letters/],
    ['a name starting with a dash', ['--name=-x', '--yes'], 2, /Invalid --name "-x": must start with a lowercase letter/],
    ['a 65-character name', ['--name', 'a'.repeat(65), '--yes'], 2, /must be at most 64 characters \(it has 65\)/],
    ['a name with an underscore', ['--name', 'a_b', '--yes'], 2, /not "_"/],
    ['a name ending in a dash', ['--name', 'ab-', '--yes'], 2, /must not end with a dash/],
    [
      'a long name with the S3 trigger',
      ['--name', 'a'.repeat(36), '--trigger', 's3', '--yes'],
      2,
      /at most 35 characters with the S3 trigger/,
    ],
    ['a name that shadows a dependency', ['--name', 'serde', '--yes'], 2, /Invalid --name "serde": is taken/],
    ['a directory name that gives no project name', ['2024', '--yes'], 2, /no project name can be made from the directory "2024"/],
    ['memory 127', ['x', '--memory', '127', '--yes'], 2, /Invalid --memory "127": must be a whole number of MB from 128 to 10240/],
    ['memory 10241', ['x', '--memory', '10241', '--yes'], 2, /Invalid --memory "10241"/],
    ['memory abc', ['x', '--memory', 'abc', '--yes'], 2, /Invalid --memory "abc"/],
    ['memory 512.5', ['x', '--memory', '512.5', '--yes'], 2, /Invalid --memory "512.5"/],
    [
      'an unknown trigger',
      ['x', '--trigger', 'eventbridge', '--yes'],
      2,
      /Invalid --trigger "eventbridge": choose api, kinesis, s3, sqs, dynamodb-stream or schedule/,
    ],
    ['an unknown sink', ['x', '--sink', 'postgres', '--yes'], 2, /Invalid --sink "postgres": choose dynamodb, sqs or none/],
    ['arch arm', ['x', '--arch', 'arm', '--yes'], 2, /Invalid --arch "arm": choose arm64 or x86_64/],
    ['timeout 0', ['x', '--timeout', '0', '--yes'], 2, /Invalid --timeout "0": must be a whole number of seconds from 1 to 900/],
    ['timeout 901', ['x', '--trigger', 'sqs', '--timeout', '901', '--yes'], 2, /Invalid --timeout "901"/],
    ['a REST API timeout of 30', ['x', '--api', 'rest', '--timeout', '30', '--yes'], 2, /must be at most 29 for REST APIs/],
    ['an HTTP API timeout of 31', ['x', '--api', 'http', '--timeout', '31', '--yes'], 2, /must be at most 30 for HTTP APIs/],
    ['--api with a batch trigger', ['x', '--trigger', 'sqs', '--api', 'rest', '--yes'], 2, /--api applies only to the API trigger/],
    ['--auth jwt without an issuer', ['x', '--auth', 'jwt', '--jwt-audience', 'web', '--yes'], 2, /--auth jwt needs --jwt-issuer\./],
    ['--auth jwt without anything', ['x', '--auth', 'jwt', '--yes'], 2, /--auth jwt needs --jwt-issuer and --jwt-audience\./],
    [
      'an issuer that is not https',
      ['x', '--auth', 'jwt', '--jwt-issuer', 'http://idp.example.com/', '--jwt-audience', 'web', '--yes'],
      2,
      /Invalid --jwt-issuer "http:\/\/idp.example.com\/": must be an https URL/,
    ],
    [
      'an issuer that is no URL',
      ['x', '--auth', 'jwt', '--jwt-issuer', 'idp.example.com', '--jwt-audience', 'web', '--yes'],
      2,
      /Invalid --jwt-issuer "idp.example.com": must be the https URL/,
    ],
    [
      'an empty audience',
      ['x', '--auth', 'jwt', '--jwt-issuer', 'https://idp.example.com/', '--jwt-audience', ' ', '--yes'],
      2,
      /Invalid --jwt-audience " ": must not be empty/,
    ],
    [
      'a non-Cognito issuer with a REST API',
      ['x', '--api', 'rest', '--auth', 'jwt', '--jwt-issuer', 'https://idp.example.com/', '--jwt-audience', 'web', '--yes'],
      2,
      /must be a Cognito user pool/,
    ],
    ['an unknown auth', ['x', '--auth', 'apikey', '--yes'], 2, /Invalid --auth "apikey": choose iam, jwt or public/],
    ['--auth with a batch trigger', ['x', '--trigger', 's3', '--auth', 'public', '--yes'], 2, /--auth applies only to the API trigger/],
    [
      '--jwt-issuer without --auth jwt',
      ['x', '--jwt-issuer', 'https://idp.example.com/', '--yes'],
      2,
      /--jwt-issuer applies only with --auth jwt/,
    ],
    [
      'log retention 13',
      ['x', '--log-retention', '13', '--yes'],
      2,
      /Invalid --log-retention "13": CloudWatch keeps logs for 1, 3, 5, 7, 14, 30/,
    ],
    ['an unknown flag', ['x', '--colour', 'blue'], 2, /unknown option '--colour'\. See create-fast-lambda --help\./],
    ['two directories', ['a', 'b', '--yes'], 2, /expected at most one directory, got 2/],
    ['two directories, one with a newline', ['a', 'b\nc', '--yes'], 2, /expected at most one directory, got 2: a b\\nc\. See/],
    ['an unknown flag with an escape and a newline', ['x', '--a\u001b[2Jb\nc'], 2, /unknown option '--a\\u001b\[2Jb\\nc'\. See/],
    [
      'a name with a newline',
      ['--name', 'a\nb', '--yes'],
      2,
      /Invalid --name "a\\nb": may only hold lowercase letters, digits and dashes, not "\\n"/,
    ],
    [
      'a 5,000-character audience',
      ['x', '--auth', 'jwt', '--jwt-issuer', 'https://idp.example.com/', '--jwt-audience', 'a'.repeat(5000), '--yes'],
      2,
      /at most 3584 bytes \(it has 5000\).*4 KB/,
    ],
    ['--example churn --name rayon', ['--example', 'churn', '--name', 'rayon', '--yes'], 2, /Invalid --name "rayon": is taken/],
    [
      'no TTY without --yes',
      ['x', '--trigger', 'api'],
      2,
      /no terminal to ask on, and no answer for --api, --auth, --sink, --arch, --memory, --timeout\. Pass them, or --yes/,
    ],
  ];

  it.each(cases)('%s', async (_label, args, exitCode, message) => {
    const cwd = await tempDir();
    const result = await runBin(CREATE_BIN, args, cwd);
    expect(result.exitCode).toBe(exitCode);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
    expect(await readdir(cwd)).toEqual([]);
  });

  it('refuses a directory with files in it, and leaves them alone', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'busy'));
    await writeFile(join(cwd, 'busy/notes.txt'), 'mine\n');
    const result = await runBin(CREATE_BIN, ['busy', '--yes'], cwd);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim()).toBe('create-fast-lambda: busy is not empty (notes.txt); choose a new or empty directory');
    expect(await listTree(cwd)).toEqual(['busy/notes.txt']);
    expect(await readFile(join(cwd, 'busy/notes.txt'), 'utf8')).toBe('mine\n');
  });

  it('refuses a path that is a file', async () => {
    const cwd = await tempDir();
    await writeFile(join(cwd, 'taken'), 'x');
    const result = await runBin(CREATE_BIN, ['taken', '--yes'], cwd);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim()).toBe('create-fast-lambda: taken exists and is not a directory');
    expect(await listTree(cwd)).toEqual(['taken']);
  });

  it('treats CI=true as no terminal', async () => {
    const cwd = await tempDir();
    const result = await runBin(CREATE_BIN, ['x'], cwd, { ...userEnv(), CI: 'true' });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/no terminal to ask on/);
  });
});

describe('create-fast-lambda at a terminal', () => {
  const interactive = (cwd: string, args: string[] = []) =>
    spawnInPty(['node', CREATE_BIN, ...args], { cwd, env: userEnv({ NO_COLOR: '' }) });

  it('asks each question in order and writes the chosen project', async () => {
    const cwd = await tempDir();
    const t = interactive(cwd);
    await t.waitFor('Project name');
    t.type(`churn-scorer${KEY.enter}`);
    await t.waitFor('What triggers the function?');
    t.type(KEY.down + KEY.enter); // Kinesis stream
    await t.waitFor('Where do results go?');
    t.type(KEY.enter); // default for Kinesis: SQS queue
    await t.waitFor('Architecture');
    t.type((HOST_ARCH === 'x86_64' ? '' : KEY.down) + KEY.enter); // x86_64: the default on an x86_64 machine, second in the list
    await t.waitFor('Memory (MB)');
    t.type(KEY.down + KEY.down); // 1769 MB: one full vCPU, priced for arm64 or x86_64
    await t.waitFor('1769 MB (1.00 vCPU · $0.49 per 1M × 10 ms)');
    t.type(KEY.enter);
    await t.waitFor('Timeout in seconds');
    t.type(KEY.enter); // 30
    await t.waitFor('Next steps');
    expect(await t.exit).toBe(0);
    const screen = t.screen();
    expect(screen).toContain('Kinesis → SQS, x86_64, 1769 MB, 30 s');
    expect(screen).toContain('cd churn-scorer');
    const template = await readFile(join(cwd, 'churn-scorer/template.yaml'), 'utf8');
    expect(template).toContain('x86_64');
    expect(template).toContain('Timeout: 30');
  });

  it('re-asks an invalid name with the reason, and takes a custom memory size', async () => {
    const cwd = await tempDir();
    const t = interactive(cwd);
    await t.waitFor('Project name');
    t.type(`My App${KEY.enter}`);
    await t.waitFor('may only hold lowercase letters, digits and dashes');
    for (let i = 0; i < 6; i++) t.type(KEY.backspace);
    t.type(`my-app${KEY.enter}`);
    await t.waitFor('What triggers the function?');
    t.type(KEY.enter); // API
    await t.waitFor('Which API Gateway flavour?');
    t.type(KEY.down + KEY.enter); // REST API
    await t.waitFor('Who may call the API?');
    t.type(KEY.enter); // IAM-signed requests
    await t.waitFor('Where do results go?');
    t.type(KEY.enter);
    await t.waitFor('Architecture');
    t.type(KEY.enter);
    await t.waitFor('Memory (MB)');
    t.type(KEY.down.repeat(4) + KEY.enter); // from 512 MB past 1024, 1769, 3008 to Custom…
    await t.waitFor('Memory in MB');
    t.type(`127${KEY.enter}`);
    await t.waitFor('must be a whole number of MB from 128 to 10240');
    for (let i = 0; i < 3; i++) t.type(KEY.backspace);
    t.type(`2048${KEY.enter}`);
    await t.waitFor('Timeout in seconds');
    t.type(`30${KEY.enter}`);
    await t.waitFor('must be at most 29 for REST APIs');
    t.type(`${KEY.backspace}${KEY.backspace}20${KEY.enter}`);
    await t.waitFor('Next steps');
    expect(await t.exit).toBe(0);
    const template = await readFile(join(cwd, 'my-app/template.yaml'), 'utf8');
    expect(template).toContain('MemorySize: 2048');
    expect(template).toContain('Timeout: 20');
  });

  it.each([
    ['Ctrl-C', KEY.ctrlC],
    ['Esc', KEY.escape],
  ])('cancels on %s with exit 130 and writes nothing', async (_label, key) => {
    const cwd = await tempDir();
    const t = interactive(cwd);
    await t.waitFor('Project name');
    t.type(`half-done${KEY.enter}`);
    await t.waitFor('What triggers the function?');
    t.type(key);
    expect(await t.exit).toBe(130);
    expect(t.screen()).toContain('Cancelled.');
    expect(await readdir(cwd)).toEqual([]);
  });

  it('offers another directory when the target is not empty', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'taken'));
    await writeFile(join(cwd, 'taken/keep.txt'), 'mine');
    const t = interactive(cwd, ['taken', '--trigger', 'sqs', '--sink', 'none', '--arch', 'arm64', '--memory', '128', '--timeout', '5']);
    await t.waitFor('is not empty (keep.txt)');
    await t.waitFor('Choose another directory');
    t.type(KEY.enter);
    await t.waitFor('Directory');
    t.type(`fresh${KEY.enter}`);
    await t.waitFor('Project name');
    t.type(KEY.enter); // default: named after the directory
    await t.waitFor('Next steps');
    expect(await t.exit).toBe(0);
    expect(await listTree(join(cwd, 'taken'))).toEqual(['keep.txt']);
    expect(await readFile(join(cwd, 'fresh/samconfig.toml'), 'utf8')).toContain('stack_name = "fresh"');
  });
});
