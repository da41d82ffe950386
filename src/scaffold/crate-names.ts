/**
 * The crates a generated project depends on, read from the Cargo.toml templates themselves, so
 * the names a project may not take (a crate cannot share its name with a dependency: E0464)
 * follow the templates instead of a hand-kept list that drifts.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { TEMPLATES_DIR } from './template-sources.js';

/** `[dependencies]`, `[dev-dependencies]`, `[build-dependencies]`, `[target.'cfg(…)'.dependencies]` */
const DEPENDENCY_TABLE = /(^|\.)(dev-|build-)?dependencies$/;

/** The dependency names in one Cargo.toml (template or rendered), with `package = "…"` renames. */
export function cargoDependencies(cargoToml: string): string[] {
  const names: string[] = [];
  let inTable = false;
  for (const line of cargoToml.split('\n')) {
    const header = /^\s*\[([^\]]+)\]/.exec(line);
    if (header) {
      const table = header[1]!.trim();
      // `[dependencies.serde]` names its crate in the header.
      const dotted = /(?:^|\.)(?:dev-|build-)?dependencies\.([A-Za-z0-9_-]+)$/.exec(table);
      if (dotted) names.push(dotted[1]!);
      inTable = DEPENDENCY_TABLE.test(table);
      continue;
    }
    if (!inTable) continue;
    const key = /^\s*([A-Za-z0-9_-]+)\s*=/.exec(line);
    if (key) names.push(key[1]!);
    const renamed = /\bpackage\s*=\s*"([A-Za-z0-9_-]+)"/.exec(line);
    if (renamed) names.push(renamed[1]!);
  }
  return names;
}

let cached: Set<string> | undefined;

/**
 * Every crate any trigger, sink or example's Cargo.toml can depend on (the union over their
 * `{{#if}}` branches and the triggers' and sinks' cargo/ fragments), with dashes as underscores, as Rust compares crate names.
 */
export function dependencyCrateNames(templatesDir = TEMPLATES_DIR): Set<string> {
  if (cached && templatesDir === TEMPLATES_DIR) return cached;
  const names = new Set<string>();
  for (const entry of readdirSync(templatesDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const text = () => readFileSync(join(entry.parentPath, entry.name), 'utf8');
    // A trigger's or sink's `cargo/*.hbs` fragment holds dependency lines without their table.
    const fragment = entry.name.endsWith('.hbs') && basename(entry.parentPath) === 'cargo';
    const manifest = entry.name === 'Cargo.toml' ? text() : fragment ? `[dependencies]\n${text()}` : undefined;
    for (const name of manifest === undefined ? [] : cargoDependencies(manifest)) names.add(name.replaceAll('-', '_'));
  }
  if (templatesDir === TEMPLATES_DIR) cached = names;
  return names;
}
