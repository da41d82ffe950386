/** Sizes and durations as people read them, shared by lambda-kit's commands and the benchmarks. */

export function formatBytes(bytes: number): string {
  const mb = bytes / 1_000_000;
  const size = mb >= 1 ? `${mb.toFixed(1)} MB` : `${(bytes / 1000).toFixed(0)} kB`;
  return `${size} (${bytes.toLocaleString('en-US')} bytes)`;
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}
