/**
 * The AWS settings lambda-kit reads: region names checked against AWS's pattern wherever they
 * come from, and the SDK's warning about a profile beside access keys said in one line.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { credentialsNote, isRegionName, resolveAwsSetup, sdkLogger } from '../src/tools/aws-setup.js';
import { judgeAwsCredentials, judgeAwsRegion } from '../src/tools/doctor.js';

const REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'af-south-1',
  'ap-east-1',
  'ap-south-2',
  'ap-southeast-4',
  'ap-northeast-3',
  'ca-central-1',
  'ca-west-1',
  'eu-central-2',
  'eu-west-3',
  'eu-south-1',
  'eu-north-1',
  'il-central-1',
  'me-central-1',
  'mx-central-1',
  'sa-east-1',
  'us-gov-west-1',
  'us-gov-east-1',
  'cn-north-1',
  'cn-northwest-1',
  'us-iso-east-1',
  'us-isob-east-1',
  'eusc-de-east-1',
];

describe('isRegionName', () => {
  it('accepts every region AWS has', () => {
    for (const region of REGIONS) expect(isRegionName(region), region).toBe(true);
  });

  it.each([
    'eu west 1',
    'eu-west-1 ',
    ' eu-west-1',
    'EU-WEST-1',
    'eu-west',
    'eu-west-1\u001b[2J',
    'eu-west-1\n',
    '',
    'eu--west-1',
    'https://eu-west-1',
  ])('refuses %j', (text) => expect(isRegionName(text)).toBe(false));

  it('refuses anything with a character outside a-z, 0-9 and dashes (property)', () => {
    const odd = fc.string({ minLength: 1, maxLength: 3 }).filter((s) => /[^a-z0-9-]/.test(s));
    fc.assert(
      fc.property(fc.constantFrom(...REGIONS), odd, fc.nat(), (region, insert, at) => {
        const i = at % (region.length + 1);
        expect(isRegionName(region.slice(0, i) + insert + region.slice(i))).toBe(false);
      }),
    );
  });
});

describe('doctor judges a region that is not one', () => {
  const files = { config: undefined, credentials: undefined, configPath: '~/.aws/config', credentialsPath: '~/.aws/credentials' };

  it('from AWS_REGION', () => {
    const check = judgeAwsRegion(resolveAwsSetup({ AWS_REGION: 'eu west 1', AWS_DEFAULT_REGION: 'eu-west-1' }, files));
    expect(check).toMatchObject({
      status: 'fail',
      problem: '"eu west 1" from AWS_REGION is not an AWS region',
      fix: 'export AWS_REGION=<region>, such as eu-west-1',
    });
  });

  it('from the profile, its control characters made visible', () => {
    const check = judgeAwsRegion(resolveAwsSetup({}, { ...files, config: '[default]\nregion = eu-west-1\u001b[2J\n' }));
    expect(check).toMatchObject({
      status: 'fail',
      found: 'eu-west-1\\u001b[2J (profile default)',
      fix: 'aws configure set region <region>',
    });
  });
});

describe('doctor reads the credentials that win: a named profile over keys in the environment', () => {
  const keys = { AWS_ACCESS_KEY_ID: 'env-key', AWS_SECRET_ACCESS_KEY: 'env-secret' };
  const files = (credentials: string) => ({
    config: undefined,
    credentials,
    configPath: '~/.aws/config',
    credentialsPath: '~/.aws/credentials',
  });

  it('the profile’s keys, with a note that the environment’s are not used', () => {
    const check = judgeAwsCredentials(
      resolveAwsSetup({ ...keys, AWS_PROFILE: 'dev' }, files('[dev]\naws_access_key_id = k\naws_secret_access_key = s\n')),
    );
    expect(check).toMatchObject({
      status: 'ok',
      found: 'profile dev: access key (~/.aws/credentials)',
      note: 'AWS_ACCESS_KEY_ID in the environment is not used: profile dev is',
    });
  });

  it('a profile without credentials fails, though keys are in the environment', () => {
    const check = judgeAwsCredentials(resolveAwsSetup({ ...keys, AWS_PROFILE: 'dev' }, files('[dev]\nregion = eu-west-1\n')));
    expect(check).toMatchObject({
      status: 'fail',
      problem: 'profile dev has no credentials, and the keys in the environment are not used when a profile is named',
    });
  });

  it('without a named profile the environment’s keys are used', () => {
    const check = judgeAwsCredentials(resolveAwsSetup(keys, files('[default]\naws_access_key_id = k\n')));
    expect(check).toMatchObject({ status: 'ok', found: 'environment (AWS_ACCESS_KEY_ID)' });
  });
});

describe('sdkLogger', () => {
  const SDK_WARNING = `@aws-sdk/credential-provider-node - defaultProvider::fromEnv WARNING:
    Multiple credential sources detected:
    Both AWS_PROFILE and the pair AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY static credentials are set.
    This SDK will proceed with the AWS_PROFILE value.
`;

  it('says the SDK’s warning about two credential sources in one line, naming the profile that wins, and any other in one line', () => {
    const lines: string[] = [];
    const logger = sdkLogger('dev', (line) => {
      lines.push(line);
    });
    logger.warn(SDK_WARNING);
    logger.warn('something else the SDK says');
    logger.info({ clientName: 'CloudFormationClient', input: { secret: 'x' } });
    // Any other warning is the SDK's own, on one line; info and debug say nothing.
    expect(lines).toEqual([`lambda-kit: ${credentialsNote('dev')}`, 'warning (AWS SDK): something else the SDK says']);
    expect(lines[0]).not.toMatch(/\n/);
  });
});
