/**
 * Secrets kept off the screen and out of log files: the password in an endpoint URL, and the
 * values of template parameters that are NoEcho or whose name says they are secret. A masked
 * value shows as `****`, so the person still sees that something was given.
 */

export const MASK = '****';

/** `scheme://user:password@host` → `scheme://user:****@host`, anywhere in `text`. */
export function maskUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s/@]*@/gi, `$1:${MASK}@`);
}

/** Names that say their value is secret: DbPassword, ApiKey, GithubToken, ClientSecret, … */
const SECRET_NAME = /pass(?:word|wd|phrase)?|pwd|secret|token|key|credential|private|signature/i;

export function looksSecret(name: string): boolean {
  return SECRET_NAME.test(name);
}

export interface MaskedOverrides {
  /** The overrides as they may be shown and logged. */
  shown: string[];
  /** The values that were masked, to mask wherever else they turn up (sam's own output). */
  secrets: string[];
}

/**
 * `--parameter-overrides` as given (`Key=Value`, several in one argument, quoted values, or
 * `ParameterKey=Key,ParameterValue=Value`), with the values of secret parameters masked.
 */
export function maskParameterOverrides(overrides: readonly string[], noEcho: ReadonlySet<string>): MaskedOverrides {
  const secrets: string[] = [];
  const secret = (key: string) => noEcho.has(key) || looksSecret(key);
  const shown = overrides.map((override) => {
    const longForm = /^ParameterKey=([^,]*),ParameterValue=(.*)$/s.exec(override);
    if (longForm) {
      if (!secret(longForm[1]!)) return override;
      secrets.push(longForm[2]!);
      return `ParameterKey=${longForm[1]},ParameterValue=${MASK}`;
    }
    return override.replace(/(^|\s)([^\s=]+)=("[^"]*"|'[^']*'|\S*)/g, (whole, space: string, key: string, value: string) => {
      if (!secret(key)) return whole;
      secrets.push(/^(["']).*\1$/s.test(value) ? value.slice(1, -1) : value);
      return `${space}${key}=${MASK}`;
    });
  });
  return { shown, secrets: secrets.filter((value) => value.length > 0) };
}

/**
 * Every occurrence of each secret in `text` masked, longest first (one may contain another).
 * Values under 4 characters are left: masking every `1` of a log for `KeyCount=1` hides nothing.
 */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let masked = text;
  const worthMasking = secrets.filter((value) => value.length >= 4).sort((a, b) => b.length - a.length);
  for (const value of worthMasking) masked = masked.split(value).join(MASK);
  return masked;
}
