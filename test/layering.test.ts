/**
 * The layering of src/: src/cli (argument parsing, prompts, output) sits on top, and nothing
 * below imports it, so a lower module never drags the CLI into a bench, a script or a test; no two
 * modules import each other, however long the way round; and a command reuses another's work
 * through a function, never through its argv main. Checked on the real tree, and on a fixture tree
 * (test/fixtures/layering) that breaks each rule, through the same functions.
 */
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commandMainImports, importCycles, importSpecifiers, layerViolations } from './support/import-graph.js';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const BROKEN = fileURLToPath(new URL('./fixtures/layering/src/', import.meta.url));

describe('src/', () => {
  it('has no file outside src/cli that imports from src/cli', () => {
    expect(layerViolations(SRC, 'cli')).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(importCycles(SRC)).toEqual([]);
  });

  it('has no command that runs another command through its argv main', () => {
    expect(commandMainImports(SRC, 'cli/commands')).toEqual([]);
  });
});

describe('the layering checks', () => {
  it('name each file outside the layer that imports from it, statically or dynamically, and what it imports', () => {
    expect(layerViolations(BROKEN, 'cli')).toEqual([
      "src/aws/call.ts imports '../cli/output.js'",
      "src/project/load.ts imports '../cli/output.js'",
    ]);
  });

  it('give the path of each cycle, type-only imports included', () => {
    expect(importCycles(BROKEN)).toEqual([
      'src/aws/call.ts → src/cli/output.ts → src/aws/call.ts',
      'src/scaffold/crate-names.ts → src/scaffold/render.ts → src/scaffold/spec.ts → src/scaffold/crate-names.ts',
    ]);
  });

  it("name each command that imports another command's main, or the whole module, and leave a shared function alone", () => {
    expect(commandMainImports(BROKEN, 'cli/commands')).toEqual([
      "src/cli/commands/delete.ts runs main of './build.js'",
      "src/cli/commands/deploy.ts runs main of './build.js'",
      "src/cli/commands/deploy.ts runs main of './build.js'",
    ]);
  });
});

describe('importSpecifiers', () => {
  const specifier = fc
    .array(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), { minLength: 1, maxLength: 3 })
    .chain((parts) => fc.constantFrom('./', '../', '../../').map((up) => `${up}${parts.join('/')}.js`));
  const importing: ((s: string) => string)[] = [
    (s) => `import { a } from '${s}';`,
    (s) => `import b, * as c from "${s}";`,
    (s) => `import type { T } from '${s}';`,
    (s) => `import '${s}';`,
    (s) => `export { d } from '${s}';`,
    (s) => `export * from '${s}';`,
    (s) => `const e = await import('${s}');`,
    (s) => `const f = async () => (await import(\n  '${s}'\n)).f;`,
  ];
  const notImporting: ((s: string) => string)[] = [
    (s) => `// import { a } from '${s}';`,
    (s) => `/* await import('${s}') */`,
    (s) => `const g = "import('${s}')";`,
    (s) => `const h = 'export * from "${s}"';`,
  ];
  const line = fc.tuple(fc.boolean(), specifier, fc.nat()).map(([real, s, form]) => {
    const forms = real ? importing : notImporting;
    return { real, specifier: s, text: forms[form % forms.length]!(s) };
  });

  it('reads every static, type-only, re-exported and dynamic import, in order, and nothing in comments or strings', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
        const source = lines.map((l) => l.text).join('\n');
        expect(importSpecifiers(source)).toEqual(lines.filter((l) => l.real).map((l) => l.specifier));
      }),
      { numRuns: 500 },
    );
  });
});
