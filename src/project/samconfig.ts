/**
 * samconfig.toml, the SAM CLI's per-project defaults: enough TOML for what it holds (tables of
 * `key = "string" | number | boolean | [strings]`), and SAM's lookup rule: a command's own table
 * (`[default.deploy.parameters]`) wins over the global one (`[default.global.parameters]`).
 */

export type SamConfigValue = string | number | boolean | string[];
/** Table name (`default.deploy.parameters`) → key → value. */
export type SamConfig = Map<string, Map<string, SamConfigValue>>;

export function parseSamConfig(text: string): SamConfig {
  const config: SamConfig = new Map();
  let table: Map<string, SamConfigValue> | undefined;
  for (const raw of text.split('\n')) {
    const line = stripComment(raw).trim();
    if (!line) continue;
    const header = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (header) {
      const name = header[1]!.split('.').map((part) => part.trim().replace(/^"(.*)"$/, '$1')).join('.');
      table = config.get(name) ?? new Map();
      config.set(name, table);
      continue;
    }
    const pair = /^([A-Za-z0-9_-]+)\s*=\s*(.+)$/.exec(line);
    if (pair && table) {
      const value = parseValue(pair[2]!);
      if (value !== undefined) table.set(pair[1]!, value);
    }
  }
  return config;
}

/** `key` for `command` (`deploy`, `local_invoke`, …) in environment `env`, else its global value. */
export function samConfigValue(config: SamConfig | undefined, command: string, key: string, env = 'default'): SamConfigValue | undefined {
  return config?.get(`${env}.${command}.parameters`)?.get(key) ?? config?.get(`${env}.global.parameters`)?.get(key);
}

function parseValue(text: string): SamConfigValue | undefined {
  const value = text.trim();
  if (value.startsWith('"') || value.startsWith("'")) return parseString(value);
  if (value === 'true' || value === 'false') return value === 'true';
  if (value.startsWith('[')) {
    return [...value.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g)].map((m) => (m[1] !== undefined ? unescape(m[1]) : m[2]!));
  }
  const number = Number(value.replaceAll('_', ''));
  return Number.isFinite(number) ? number : undefined;
}

function parseString(value: string): string | undefined {
  if (value.startsWith("'")) return /^'([^']*)'/.exec(value)?.[1];
  const match = /^"((?:[^"\\]|\\.)*)"/.exec(value);
  return match ? unescape(match[1]!) : undefined;
}

function unescape(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) =>
    c.length > 1 ? String.fromCharCode(parseInt(c.slice(1), 16)) : ({ n: '\n', t: '\t', r: '\r' } as Record<string, string>)[c] ?? c,
  );
}

/** Drops a `#` comment, unless the `#` is inside a string. */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return line.slice(0, i);
  }
  return line;
}
