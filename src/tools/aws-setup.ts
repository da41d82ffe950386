/**
 * Where the AWS region and credentials would come from, read from the environment and the
 * shared config files the way the SDKs read them, without calling AWS and without loading an SDK.
 *
 * Two readers matter and they differ: `sam` (boto3) takes the region from AWS_DEFAULT_REGION,
 * lambda-kit (the JavaScript SDK) from AWS_REGION; both fall back to the profile's `region`.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { maskUrlCredentials } from '../text/secret-masking.js';
import { showableLine, visible } from '../text/terminal-text.js';

export interface RegionSource {
  region: string;
  /** `AWS_REGION`, `AWS_DEFAULT_REGION` or `profile <name>`. */
  source: string;
}

export interface AwsSetup {
  profile: string;
  /** True when the profile was named by AWS_PROFILE rather than being `default`. */
  profileNamed: boolean;
  /** Access keys are in the environment, and not used because a profile is named. */
  envKeysIgnored: boolean;
  /** The profile appears in the config or the credentials file. */
  profileExists: boolean;
  /** The region the JavaScript SDK (lambda-kit) resolves. */
  sdkRegion: RegionSource | undefined;
  /** The region boto3 (sam deploy, sam logs) resolves. */
  samRegion: RegionSource | undefined;
  /** Where credentials would come from, in words, e.g. `profile dev: SSO`; never the secrets. */
  credentials: string | undefined;
  configPath: string;
  credentialsPath: string;
  /** Running on EC2, where an instance role may supply credentials that only a call would show. */
  onEc2: boolean;
}

/**
 * A region name as AWS writes them (`eu-west-1`, `us-gov-west-1`, `cn-north-1`, `eusc-de-east-1`):
 * the region part of Lambda's ARN pattern, widened to the sovereign and isolated partitions.
 */
export function isRegionName(text: string): boolean {
  return /^[a-z]{2,4}(-gov|-iso[a-z]{0,2})?(-[a-z]+)+-\d{1,2}$/.test(text) && text.length <= 32;
}

/**
 * The one line lambda-kit says when a profile and access keys in the environment are both set,
 * in place of the AWS SDK's warning of nine lines: the profile wins (the SDK's choice, and sam's
 * once --profile names it).
 */
export function credentialsNote(profile: string): string {
  const both = `AWS profile ${visible(profile, 40)} and AWS_ACCESS_KEY_ID are both set`;
  return `${both}: the profile's credentials are used, the keys in the environment are not.`;
}

/**
 * A logger for the SDK's clients: the SDK logs nothing by default but prints its warnings with
 * console.warn, on several lines (two credential sources: nine). This one says each in one line;
 * failed requests, logged as errors, reach us as errors anyway.
 */
export function sdkLogger(profile: string | undefined, write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)) {
  const quiet = (..._: unknown[]) => undefined;
  return {
    trace: quiet,
    debug: quiet,
    info: quiet,
    error: quiet,
    warn: (...content: unknown[]) => {
      const text = content.map((part) => (typeof part === 'string' ? part : part instanceof Error ? part.message : String(part))).join(' ');
      if (/Multiple credential sources/.test(text))
        write(`lambda-kit: ${credentialsNote(profile ?? process.env.AWS_PROFILE ?? 'default')}`);
      else write(`warning (AWS SDK): ${showableLine(maskUrlCredentials(text.replace(/\s+/g, ' ').trim()), 1000)}`);
    },
  };
}

type Ini = Map<string, Map<string, string>>;

/** The sections of an AWS config or credentials file; nested (indented) settings are skipped. */
export function parseIni(text: string): Ini {
  const sections: Ini = new Map();
  let current: Map<string, string> | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*([#;]|$)/.test(line) || /^\s/.test(line)) continue;
    const section = /^\[\s*([^\]]+?)\s*\]/.exec(line);
    if (section) {
      current = sections.get(section[1]!) ?? new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const setting = /^([^=]+?)\s*=\s*(.*?)\s*$/.exec(line);
    if (setting && current) current.set(setting[1]!.toLowerCase(), setting[2]!);
  }
  return sections;
}

/** In the config file every profile but `default` is written `[profile name]`. */
function configSection(config: Ini, profile: string): Map<string, string> | undefined {
  return config.get(`profile ${profile}`) ?? (profile === 'default' ? config.get('default') : undefined);
}

/** What kind of credentials a config-file profile describes, if any. */
function configCredentialKind(settings: Map<string, string>): string | undefined {
  if (settings.has('aws_access_key_id')) return 'access key';
  if (settings.has('sso_session') || settings.has('sso_start_url')) return 'SSO';
  if (settings.has('role_arn')) return `role ${settings.get('role_arn')}`;
  if (settings.has('credential_process')) return 'credential_process';
  if (settings.has('login_session')) return 'console login';
  if (settings.has('web_identity_token_file')) return 'web identity';
  return undefined;
}

export interface AwsFiles {
  config: string | undefined;
  credentials: string | undefined;
  configPath: string;
  credentialsPath: string;
  onEc2?: boolean;
}

export function resolveAwsSetup(env: NodeJS.ProcessEnv, files: AwsFiles): AwsSetup {
  const config = parseIni(files.config ?? '');
  const credentialsFile = parseIni(files.credentials ?? '');
  const profileNamed = Boolean(env.AWS_PROFILE);
  const profile = env.AWS_PROFILE || 'default';
  const inConfig = configSection(config, profile);
  const inCredentials = credentialsFile.get(profile);
  const profileRegion = inConfig?.get('region') ?? inCredentials?.get('region');
  const fromProfile = profileRegion ? { region: profileRegion, source: `profile ${profile}` } : undefined;
  const fromEnv = (name: string) => (env[name] ? { region: env[name]!, source: name } : undefined);

  let credentials: string | undefined;
  // A named profile wins over access keys in the environment: the JavaScript SDK skips the keys
  // then, and lambda-kit names the profile to sam too, so doctor reads what the commands will use.
  const envKeys = Boolean(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY);
  if (envKeys && !profileNamed) credentials = 'environment (AWS_ACCESS_KEY_ID)';
  else if (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN) credentials = 'web identity (AWS_ROLE_ARN)';
  else if (inCredentials?.has('aws_access_key_id')) credentials = `profile ${profile}: access key (${files.credentialsPath})`;
  else if (inConfig && configCredentialKind(inConfig))
    credentials = `profile ${profile}: ${configCredentialKind(inConfig)} (${files.configPath})`;
  else if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI)
    credentials = 'container credentials endpoint';

  return {
    profile,
    profileNamed,
    envKeysIgnored: envKeys && profileNamed,
    profileExists: Boolean(inConfig ?? inCredentials),
    sdkRegion: fromEnv('AWS_REGION') ?? fromProfile,
    samRegion: fromEnv('AWS_DEFAULT_REGION') ?? fromProfile,
    credentials,
    configPath: files.configPath,
    credentialsPath: files.credentialsPath,
    onEc2: files.onEc2 ?? false,
  };
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Reads the shared config and credentials files (honouring AWS_CONFIG_FILE and friends). */
export async function readAwsSetup(env: NodeJS.ProcessEnv = process.env): Promise<AwsSetup> {
  const home = env.HOME || homedir();
  const configPath = env.AWS_CONFIG_FILE || join(home, '.aws', 'config');
  const credentialsPath = env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials');
  const [config, credentials, onEc2] = await Promise.all([readOptional(configPath), readOptional(credentialsPath), isEc2()]);
  const shown = (path: string) => (path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path);
  return resolveAwsSetup(env, { config, credentials, configPath: shown(configPath), credentialsPath: shown(credentialsPath), onEc2 });
}

/** EC2 says so in the machine's firmware tables (Nitro) or hypervisor id (Xen): no network needed. */
async function isEc2(): Promise<boolean> {
  const [vendor, uuid] = await Promise.all([
    readOptional('/sys/devices/virtual/dmi/id/board_vendor'),
    readOptional('/sys/hypervisor/uuid'),
  ]);
  return vendor?.trim() === 'Amazon EC2' || /^ec2/i.test(uuid ?? '');
}
