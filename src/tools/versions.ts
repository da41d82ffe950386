/**
 * Versions as tools print them. Each tool's output is matched by its own pattern, so a warning
 * printed first (Python's, a proxy's) or a build hash printed after never reads as the version.
 */

export interface Version {
  major: number;
  minor: number;
  patch: number;
  /** As printed, e.g. `1.95.0-nightly`. */
  text: string;
}

/** `1.2`, `1.2.3`, `v1.2.3`, `1.2.3-beta.1` → a Version; anything else → undefined. */
export function parseVersion(text: string | undefined): Version | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?([-+][0-9A-Za-z.+-]*)?$/.exec(text?.trim() ?? '');
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0), text: text!.trim().replace(/^v/, '') };
}

/** Negative when a < b, 0 when equal, positive when a > b (pre-release tags are ignored). */
export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export function atLeast(found: Version, minimum: string): boolean {
  return compareVersions(found, parseVersion(minimum)!) >= 0;
}

const VERSION = String.raw`v?\d+\.\d+(?:\.\d+)?(?:-[0-9A-Za-z.-]+)?`;

function versionAfter(prefix: string, output: string): Version | undefined {
  const match = new RegExp(`${prefix}(${VERSION})`, 'm').exec(output);
  return parseVersion(match?.[1]);
}

/** `cargo 1.95.0 (f2d3ce0bd 2026-03-21)` */
export const cargoVersion = (output: string) => versionAfter('^cargo ', output);

/** `rustc -vV`: the `release:` line. */
export const rustcVersion = (output: string) => versionAfter('^release: ', output);

/** `rustc -vV`: the `host:` line, e.g. `x86_64-unknown-linux-gnu`. */
export function rustcHost(output: string): string | undefined {
  return /^host: (\S+)/m.exec(output)?.[1];
}

/** `cargo-lambda 1.9.2 (67129fc 2026-08-21Z)` */
export const cargoLambdaVersion = (output: string) => versionAfter('^cargo-lambda ', output);

/** `SAM CLI, version 1.170.0` */
export const samVersion = (output: string) => versionAfter('^SAM CLI, version ', output);

/** `zig version` prints the bare version, e.g. `0.13.0` or `0.14.0-dev.1+abc`. */
export const zigVersion = (output: string) => versionAfter('^', output);
