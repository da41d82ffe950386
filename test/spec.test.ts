import { describe, expect, it } from 'vitest';
import { costPerMillion, memoryHint, vcpuShare } from '../src/scaffold/catalog.js';
import {
  jwtAudienceProblem,
  jwtIssuerProblem,
  logRetentionProblem,
  missingFlags,
  nameProblem,
  resolveSpec,
  timeoutProblem,
} from '../src/scaffold/spec.js';

describe('prices and CPU share', () => {
  it('prices a million 10 ms invocations per architecture', () => {
    // 1 GB × 0.01 s × 1e6 = 10,000 GB-s; plus $0.20 of requests.
    expect(costPerMillion(1024, 'x86_64')).toBeCloseTo(10_000 * 0.0000166667 + 0.2, 10);
    expect(costPerMillion(1024, 'arm64')).toBeCloseTo(10_000 * 0.0000133334 + 0.2, 10);
    expect(costPerMillion(128, 'arm64')).toBeLessThan(costPerMillion(128, 'x86_64'));
  });

  it('gives one vCPU at 1769 MB and shows it in the hint', () => {
    expect(vcpuShare(1769)).toBe(1);
    expect(memoryHint(1769, 'arm64')).toBe('1.00 vCPU · $0.43 per 1M × 10 ms');
    expect(memoryHint(128, 'x86_64')).toBe('0.07 vCPU · $0.22 per 1M × 10 ms');
    expect(memoryHint(10240, 'x86_64')).toMatch(/^5\.79 vCPU/);
  });
});

describe('the spec validator', () => {
  it.each([
    ['a', undefined],
    ['order-intake-2', undefined],
    ['a'.repeat(64), undefined],
    ['', 'a name is required'],
    ['My App', 'may only hold lowercase letters, digits and dashes, not "M", spaces or "A" (it names the crate and the stack)'],
    ['-x', 'must start with a lowercase letter'],
    ['9lives', 'must start with a lowercase letter'],
    ['a_b', 'may only hold lowercase letters, digits and dashes, not "_" (it names the crate and the stack)'],
    ['ab-', 'must not end with a dash'],
    ['a'.repeat(65), 'must be at most 64 characters (it has 65)'],
    ['tokio', 'is taken: Rust or the generated project already uses a crate or keyword of that name'],
    ['aws-config', 'is taken: Rust or the generated project already uses a crate or keyword of that name'],
    ['fn', 'is taken: Rust or the generated project already uses a crate or keyword of that name'],
    ['tokio-orders', undefined],
  ])('name %j → %j', (name, problem) => {
    expect(nameProblem(name)).toBe(problem);
  });

  it('limits the name to 35 characters with the S3 trigger only', () => {
    expect(nameProblem('a'.repeat(36), 's3')).toMatch(/at most 35 characters with the S3 trigger/);
    expect(nameProblem('a'.repeat(35), 's3')).toBeUndefined();
    expect(nameProblem('a'.repeat(36), 'sqs')).toBeUndefined();
    expect(nameProblem('sthree-logs', 's3')).toMatch(/must not start with "sthree-" with the S3 trigger/);
    expect(nameProblem('xn--abc', 's3')).toMatch(/"xn--"/);
    expect(nameProblem('sthree-logs', 'sqs')).toBeUndefined();
  });

  it('caps the timeout where API Gateway stops waiting', () => {
    expect(timeoutProblem('30', 'api', 'http')).toBeUndefined();
    expect(timeoutProblem('31', 'api', 'http')).toMatch(/at most 30 for HTTP APIs/);
    expect(timeoutProblem('29', 'api', 'rest')).toBeUndefined();
    expect(timeoutProblem('30', 'api', 'rest')).toMatch(/at most 29 for REST APIs/);
    expect(timeoutProblem('900', 'sqs', 'none')).toBeUndefined();
    expect(timeoutProblem(' 5', 'sqs', 'none')).toBeUndefined();
    expect(timeoutProblem('1e2', 'sqs', 'none')).toMatch(/whole number/);
  });

  it('takes only JWT issuers and audiences that are safe to write into the template', () => {
    expect(jwtIssuerProblem('https://example.auth0.com/', 'http')).toBeUndefined();
    expect(jwtIssuerProblem('https://idp.example.com/a"b', 'http')).toMatch(/quotes/);
    expect(jwtIssuerProblem('https://idp.example.com/a\\b', 'http')).toBeDefined();
    expect(jwtIssuerProblem('https://idp.example.com/?x=1', 'http')).toMatch(/without query/);
    expect(jwtIssuerProblem('https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123', 'rest')).toBeUndefined();
    expect(jwtIssuerProblem('https://example.auth0.com/', 'rest')).toMatch(/Cognito user pool/);
    expect(jwtAudienceProblem('web-client')).toBeUndefined();
    expect(jwtAudienceProblem('a"b')).toMatch(/quotes/);
    expect(jwtAudienceProblem('a,b')).toMatch(/commas/);
    expect(jwtAudienceProblem('')).toMatch(/must not be empty/);
  });

  it('takes only the retention periods CloudWatch accepts', () => {
    expect(logRetentionProblem('14')).toBeUndefined();
    expect(logRetentionProblem('3653')).toBeUndefined();
    expect(logRetentionProblem('13')).toMatch(/^CloudWatch keeps logs for 1, 3, 5/);
    expect(logRetentionProblem('14.0')).toBeDefined();
  });

  it('fills defaults that depend on the trigger', () => {
    const none = { example: 'none', twins: false, auth: 'none', jwtIssuer: '', jwtAudience: '', logRetention: 14 };
    expect(resolveSpec({ name: 'a', trigger: 'kinesis' })).toEqual({
      name: 'a',
      trigger: 'kinesis',
      api: 'none',
      sink: 'sqs',
      arch: 'arm64',
      memory: 512,
      timeout: 30,
      ...none,
    });
    expect(resolveSpec({ name: 'a' })).toEqual({
      name: 'a',
      trigger: 'api',
      api: 'http',
      sink: 'dynamodb',
      arch: 'arm64',
      memory: 512,
      timeout: 10,
      ...none,
      auth: 'iam',
    });
  });

  it('names the flags a non-interactive run lacks', () => {
    expect(missingFlags({ name: 'a', trigger: 'api' })).toEqual(['--api', '--auth', '--sink', '--arch', '--memory', '--timeout']);
    expect(missingFlags({ name: 'a', trigger: 'api', auth: 'jwt' })).toEqual([
      '--api',
      '--jwt-issuer',
      '--jwt-audience',
      '--sink',
      '--arch',
      '--memory',
      '--timeout',
    ]);
    expect(missingFlags({ name: 'a', trigger: 's3', sink: 'none', arch: 'arm64', memory: '128', timeout: '3' })).toEqual([]);
  });
});
