/**
 * Debug builds of generated projects stay small: dependencies keep line tables only, and the
 * linker compresses the debug sections (.cargo/config.toml), which backtraces still read.
 *
 * The real check builds a tiny crate with no dependencies and the generated config as written,
 * so it takes seconds and needs no registry.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLES } from '../src/scaffold/catalog.js';
import { renderProject } from '../src/scaffold/render.js';
import { resolveSpec } from '../src/scaffold/spec.js';
import { tempDir } from './support/cli.js';
import { ALL_SPECS } from './support/specs.js';

const SPECS = [...ALL_SPECS, ...EXAMPLES.map((example) => resolveSpec({ name: `ex-${example.id}`, example: example.id, twins: 'true' }))];

describe('every generated project', () => {
  it.each(SPECS.map((spec) => [`${spec.example !== 'none' ? spec.example : `${spec.trigger} → ${spec.sink}`}`, spec] as const))(
    '%s: line tables only for dependencies, compressed debug sections',
    (_, spec) => {
      const files = renderProject(spec);
      const config = files.get('.cargo/config.toml');
      expect(config).toMatch(/^rustflags = \["-C", "link-arg=-Wl,--compress-debug-sections=zlib"\]$/m);
      expect(files.get('Cargo.toml')).toMatch(/\[profile\.dev\.package\."\*"\]\n(#.*\n)*debug = "line-tables-only"\n/);
      expect([...files.keys()].some((path) => path.startsWith('_cargo/'))).toBe(false);
    },
  );
});

/** A crate named `name` in `dir` with the generated config; its binary prints `greeting` and can panic. */
function tinyCrate(dir: string, name: string, greeting: string, config: string): void {
  mkdirSync(join(dir, 'src'), { recursive: true });
  mkdirSync(join(dir, '.cargo'), { recursive: true });
  writeFileSync(join(dir, '.cargo/config.toml'), config);
  writeFileSync(join(dir, 'Cargo.toml'), `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n`);
  writeFileSync(
    join(dir, 'src/main.rs'),
    `fn fail() {\n    panic!("asked to");\n}\n\nfn main() {\n    if std::env::args().nth(1).as_deref() == Some("panic") {\n        fail();\n    }\n    println!("${greeting}");\n}\n`,
  );
}

describe('the generated .cargo/config.toml, with cargo', () => {
  const config = renderProject(SPECS[0]!).get('.cargo/config.toml')!;
  const cargo = spawnSync('cargo', ['--version'], { encoding: 'utf8' });

  it.skipIf(cargo.status !== 0)(
    'a debug binary carries compressed debug sections and still prints file and line in a backtrace',
    async () => {
      const root = await tempDir('cfl-cargo-debug-');
      tinyCrate(root, 'tiny-fn', 'hello', config);
      const env: NodeJS.ProcessEnv = { ...process.env, CARGO_TERM_COLOR: 'never' };
      // The suite's shared cache settings are not what this test is about.
      delete env.CARGO_BUILD_BUILD_DIR;
      delete env.CARGO_TARGET_DIR;
      execFileSync('cargo', ['build', '--quiet'], { cwd: root, env, stdio: 'pipe' });
      const binary = join(root, 'target', 'debug', 'tiny-fn');
      expect(execFileSync(binary, { encoding: 'utf8' })).toBe('hello\n');

      const sections = execFileSync('readelf', ['-S', '-W', binary], { encoding: 'utf8' });
      const debugInfo = sections.split('\n').find((line) => line.includes('.debug_info'));
      expect(debugInfo, 'a .debug_info section').toBeDefined();
      // readelf's flags column: C is SHF_COMPRESSED.
      expect(debugInfo).toMatch(/\s[A-Z]*C[A-Z]*\s+\d+\s+\d+\s+\d+\s*$/);

      const panicked = spawnSync(binary, ['panic'], { encoding: 'utf8', env: { ...process.env, RUST_BACKTRACE: '1' } });
      expect(panicked.status).not.toBe(0);
      expect(panicked.stderr).toMatch(/tiny_fn::fail\n\s+at \S*src\/main\.rs:2:5/);
    },
    120_000,
  );
});
