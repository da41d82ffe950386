/**
 * What `npm pack` would publish, without installing it (pack.test.ts does that): no repository-only
 * script (a bench or a trainer, run through `npm run`) ships, and no shipped file imports a package that
 * an install from the registry would not bring.
 *
 * Needs dist/ (npm run build): the files are read where npm would pack them from.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { execa } from 'execa';
import fc from 'fast-check';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/cli.js';

interface PackageJson {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** Peers npm does not install with the package: a shipped file may only reach them through import(), and say so when absent. */
function optionalPeers(pkg: PackageJson): string[] {
  return Object.keys(pkg.peerDependencies ?? {}).filter((name) => pkg.peerDependenciesMeta?.[name]?.optional === true);
}

/** The package a specifier names, or nothing for a relative path or a Node.js built-in. */
function packageOf(specifier: string): string[] {
  if (specifier.startsWith('.') || specifier.startsWith('/') || isBuiltin(specifier)) return [];
  return [
    specifier
      .split('/')
      .slice(0, specifier.startsWith('@') ? 2 : 1)
      .join('/'),
  ];
}

/** The packages a module asks for by name: static imports, re-exports, import() and require() alike. */
function packagesImportedBy(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.flatMap((file) => packageOf(file.fileName));
}

/** The packages a module loads as it starts (static imports and re-exports), which a missing package breaks. */
function packagesLoadedAtStart(source: string): string[] {
  const file = ts.createSourceFile('module.js', source, ts.ScriptTarget.Latest);
  return file.statements.flatMap((statement) =>
    (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) &&
    statement.moduleSpecifier !== undefined &&
    ts.isStringLiteral(statement.moduleSpecifier)
      ? packageOf(statement.moduleSpecifier.text)
      : [],
  );
}

/** The dist files `npm run <script>` runs with node: repository-only entry points. */
function scriptEntryPoints(pkg: PackageJson): string[] {
  return Object.values(pkg.scripts).flatMap((command) => [...command.matchAll(/\bnode (dist\/\S+\.js)\b/g)].map((m) => m[1]!));
}

describe('the package as npm would publish it', async () => {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
  // dist/ is built by `npm test` before the suites run; --ignore-scripts keeps `prepare` from rebuilding it under other tests.
  const pack = await execa('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT });
  const [{ files }] = JSON.parse(pack.stdout) as [{ files: { path: string }[] }];
  const shipped = files.map((f) => f.path);

  it('leaves out the benches and the trainer that only run from a clone', () => {
    const devOnly = scriptEntryPoints(pkg);
    expect(devOnly).toEqual(
      expect.arrayContaining([
        'dist/bench/function-bench.js',
        'dist/bench/logs-bench.js',
        'dist/bench/cold-phases.js',
        'dist/examples/churn/train.js',
      ]),
    );
    // Built, so that their absence from the package is npm's doing and not a missing build.
    expect(devOnly.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
    expect(shipped.filter((path) => devOnly.includes(path))).toEqual([]);
    // bench:phases' own modules serve it alone.
    expect(existsSync(join(ROOT, 'dist/bench/cold-phases/phases.js'))).toBe(true);
    expect(shipped.filter((path) => path.startsWith('dist/bench/cold-phases/'))).toEqual([]);
  });

  it('imports no package that is not in dependencies from any shipped file', async () => {
    const modules = shipped.filter((path) => /\.(c|m)?js$/.test(path));
    expect(modules).toEqual(expect.arrayContaining(['bin/lambda-kit.js', 'dist/cli/lambda-kit.js', 'dist/templates.precompiled.cjs']));
    const peers = optionalPeers(pkg);
    const undeclared: string[] = [];
    for (const path of modules) {
      const source = await readFile(join(ROOT, path), 'utf8');
      for (const name of packagesImportedBy(source)) {
        if (name in pkg.dependencies) continue;
        if (!peers.includes(name)) undeclared.push(`${path} imports ${name}`);
        else if (packagesLoadedAtStart(source).includes(name)) undeclared.push(`${path} imports the optional peer ${name} statically`);
      }
    }
    expect(undeclared).toEqual([]);
  });

  it('keeps esbuild an optional peer: only the churn bench uses it, and npx downloads nothing for it', () => {
    expect(pkg.dependencies).not.toHaveProperty('esbuild');
    expect(optionalPeers(pkg)).toContain('esbuild');
  });
});

describe('packagesImportedBy', () => {
  it('finds every form of import by package name, and nothing relative or built in', () => {
    const source = [
      "import { a } from '@aws-sdk/client-dynamodb';",
      "import b from 'kleur/colors';",
      "export { c } from 'yaml';",
      "const d = await import('execa');",
      "const e = require('handlebars/runtime');",
      "import { f } from './local.js';",
      "import { g } from '../up.js';",
      "import { h } from 'node:fs';",
      "import { i } from 'path';",
      'const text = \'not an import("x")\';',
    ].join('\n');
    expect(packagesImportedBy(source)).toEqual(['@aws-sdk/client-dynamodb', 'kleur', 'yaml', 'execa', 'handlebars']);
    expect(packagesLoadedAtStart(source)).toEqual(['@aws-sdk/client-dynamodb', 'kleur', 'yaml']);
  });

  it('names the package of any specifier in any import form, in order, and never a relative one', () => {
    const segment = fc.stringMatching(/^[a-z][a-z0-9._-]{0,10}$/).filter((name) => !isBuiltin(name));
    const packageName = fc.oneof(
      segment,
      fc.tuple(segment, segment).map(([scope, name]) => `@${scope}/${name}`),
    );
    const subpath = fc.array(segment, { maxLength: 2 }).map((parts) => parts.map((part) => `/${part}`).join(''));
    const forms = [
      (s: string) => `import x from '${s}';`,
      (s: string) => `import * as y from "${s}";`,
      (s: string) => `export { z } from '${s}';`,
      (s: string) => `await import('${s}');`,
      (s: string) => `require("${s}");`,
    ];
    const line = fc.oneof(
      fc
        .record({ name: packageName, subpath, form: fc.constantFrom(...forms) })
        .map(({ name, subpath, form }) => ({ name, text: form(`${name}${subpath}`) })),
      fc
        .record({ up: fc.constantFrom('./', '../', '../../'), file: segment, form: fc.constantFrom(...forms) })
        .map(({ up, file, form }) => ({ name: undefined, text: form(`${up}${file}.js`) })),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), (lines) => {
        const expected = lines.flatMap((l) => (l.name === undefined ? [] : [l.name]));
        expect(packagesImportedBy(lines.map((l) => l.text).join('\n'))).toEqual(expected);
      }),
    );
  });
});
