/**
 * What every AWS call of lambda-kit shares: the clients' configuration (region, profile, the SDK's
 * warnings as one line each), and the SDK errors a person can fix turned into one-line UserErrors.
 */
import { UserError } from '../errors.js';
import { maskUrlCredentials } from '../text/secret-masking.js';
import { sdkLogger } from '../tools/aws-setup.js';

export interface AwsOptions {
  region?: string;
  profile?: string;
}

export function clientConfig(options: AwsOptions) {
  // The SDK's own warnings are one line each: its nine-line one about a profile beside access keys, for one.
  const logger = sdkLogger(options.profile);
  return { ...(options.region ? { region: options.region } : {}), ...(options.profile ? { profile: options.profile } : {}), logger };
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function where(options: AwsOptions): string {
  return options.region ? ` in ${options.region}` : '';
}

/** The SDK's errors that a person can fix, as one line each; anything else passes through. */
export function awsError(error: unknown, cases: { stack?: string; notFound: () => UserError }): unknown {
  if (error instanceof UserError) return error;
  const name = (error as { name?: string })?.name ?? '';
  const text = message(error);
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(text)) {
    return new UserError('no AWS credentials found', {
      hint: 'Set AWS_PROFILE (after `aws sso login` or `aws configure`), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; `lambda-kit doctor` shows what it finds.',
    });
  }
  if (/Region is missing/i.test(text))
    return new UserError('no AWS region set', { hint: "Pass --region, or set AWS_REGION or your profile's region." });
  const badRegion = /Region not accepted: region="(.*)" is not a valid hostname component/is.exec(text);
  if (badRegion) {
    return new UserError(`"${badRegion[1]}" is not an AWS region`, {
      hint: "Check --region, samconfig.toml's region, AWS_REGION and your profile's region.",
    });
  }
  if (name === 'ResourceNotFoundException' || (name === 'ValidationError' && /does not exist/i.test(text))) return cases.notFound();
  if (
    ['ExpiredTokenException', 'ExpiredToken', 'UnrecognizedClientException', 'InvalidClientTokenId', 'InvalidSignatureException'].includes(
      name,
    )
  ) {
    return new UserError(`AWS refused the credentials: ${text}`, { hint: 'Refresh them (e.g. `aws sso login`) and try again.' });
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied') return new UserError(`not allowed: ${text}`);
  const code = (error as { code?: string })?.code;
  if (code && ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN'].includes(code)) {
    const endpoint = process.env.AWS_ENDPOINT_URL;
    return new UserError(`cannot reach AWS (${code})${endpoint ? ` at ${maskUrlCredentials(endpoint)}` : ''}`);
  }
  return error;
}
