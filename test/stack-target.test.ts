/**
 * stackTarget: which stack, region and profile a deploy, outputs, logs or delete is about, so
 * that sam and lambda-kit's own SDK calls look at the same stack with the same credentials.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stackTarget } from '../src/cli/stack-target.js';
import { renderProject } from '../src/scaffold/render.js';
import { resolveSpec } from '../src/scaffold/spec.js';
import { writeProject } from '../src/scaffold/write.js';
import { tempDir } from './support/cli.js';

const saved = { cwd: process.cwd(), env: { ...process.env } };
let dir: string;

beforeEach(async () => {
  dir = join(await tempDir('cfl-target-'), 'orders');
  await writeProject(dir, renderProject(resolveSpec({ name: 'orders', trigger: 'sqs', arch: 'x86_64' })));
  const config = join(dir, 'aws-config');
  await writeFile(config, '[profile dev]\nregion = eu-west-1\naws_access_key_id = k\naws_secret_access_key = s\n');
  for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
  Object.assign(process.env, { AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'), AWS_PROFILE: 'dev' });
  process.chdir(dir);
});

afterEach(() => {
  process.chdir(saved.cwd);
  for (const name of Object.keys(process.env)) if (!(name in saved.env)) delete process.env[name];
  Object.assign(process.env, saved.env);
});

describe('stackTarget', () => {
  it('names AWS_PROFILE to sam when access keys are in the environment too, as the JavaScript SDK uses the profile then', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'env-key', AWS_SECRET_ACCESS_KEY: 'env-secret' });
    expect(await stackTarget({}, [])).toMatchObject({ stackName: 'orders', profile: 'dev', region: 'eu-west-1' });
  });

  it('leaves AWS_PROFILE to sam itself when there are no keys to prefer over it', async () => {
    expect(await stackTarget({}, [])).toMatchObject({ stackName: 'orders', profile: undefined, region: 'eu-west-1' });
  });

  it('takes the flag over samconfig.toml over the environment', async () => {
    await writeFile(
      join(dir, 'samconfig.toml'),
      'version = 0.1\n[default.deploy.parameters]\nstack_name = "orders-dev"\nprofile = "ops"\nregion = "us-east-2"\n',
    );
    expect(await stackTarget({}, [])).toMatchObject({ stackName: 'orders-dev', profile: 'ops', region: 'us-east-2' });
    const flags = { 'stack-name': 'other', profile: 'me', region: 'ap-south-1' };
    expect(await stackTarget(flags, [])).toMatchObject({ stackName: 'other', profile: 'me', region: 'ap-south-1' });
  });
});
