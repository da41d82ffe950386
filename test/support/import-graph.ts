/**
 * The import graph of a source tree, read the way TypeScript's own preprocessor reads a file: static
 * imports, `export … from`, `import type` and dynamic `import('…')` with a literal specifier, never
 * what only looks like one in a comment or a string. Only relative specifiers are edges; packages
 * and node: modules are outside the graph.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

export interface ImportEdge {
  /** The importing file, relative to the tree's parent and with forward slashes: `src/aws/log-tail.ts`. */
  from: string;
  /** As written: `'../cli/errors.js'`. */
  specifier: string;
  /** The imported file, named like `from`. */
  to: string;
}

/** The module specifiers a TypeScript file's text imports, in order of appearance. */
export function importSpecifiers(sourceText: string): string[] {
  return ts.preProcessFile(sourceText, true, true).importedFiles.map((file) => file.fileName);
}

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** Every relative import of every .ts file under `root` (e.g. `…/src`); `.js` specifiers name the `.ts` file they compile from. */
export function importEdges(root: string): ImportEdge[] {
  const base = dirname(resolve(root));
  const name = (path: string) => relative(base, path).split(sep).join('/');
  return typeScriptFiles(resolve(root)).flatMap((file) =>
    importSpecifiers(readFileSync(file, 'utf8'))
      .filter((specifier) => specifier.startsWith('./') || specifier.startsWith('../'))
      .map((specifier) => ({ from: name(file), specifier, to: name(resolve(dirname(file), specifier.replace(/\.js$/, '.ts'))) })),
  );
}

/** `src/aws/x.ts imports '../cli/errors.js'` for each file outside `<root>/<layer>/` that imports from inside it. */
export function layerViolations(root: string, layer: string): string[] {
  const inside = (path: string) =>
    path.startsWith(
      `${relative(dirname(resolve(root)), resolve(root, layer))
        .split(sep)
        .join('/')}/`,
    );
  return importEdges(root)
    .filter((edge) => !inside(edge.from) && inside(edge.to))
    .map((edge) => `${edge.from} imports '${edge.specifier}'`);
}

/**
 * Each import cycle under `root` once, as its path: `src/a.ts → src/b.ts → src/a.ts`, starting from
 * its alphabetically first file. A depth-first walk: every edge back to a file still on the walk's
 * path closes one cycle.
 */
export function importCycles(root: string): string[] {
  const next = new Map<string, string[]>();
  for (const edge of importEdges(root)) next.set(edge.from, [...(next.get(edge.from) ?? []), edge.to]);
  const cycles = new Set<string>();
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string) => {
    path.push(file);
    for (const to of next.get(file) ?? []) {
      const at = path.indexOf(to);
      if (at >= 0) {
        const loop = path.slice(at);
        const first = loop.indexOf([...loop].sort()[0]!);
        const rotated = [...loop.slice(first), ...loop.slice(0, first)];
        cycles.add([...rotated, rotated[0]].join(' → '));
      } else if (!done.has(to)) {
        visit(to);
      }
    }
    path.pop();
    done.add(file);
  };
  for (const file of [...next.keys()].sort()) if (!done.has(file)) visit(file);
  return [...cycles].sort();
}

/**
 * `src/cli/commands/deploy.ts runs main of './build.js'` for each file in `<root>/<commands>/` that
 * imports another command's argv entry: `main` by name, or the whole module (`import * as`, a
 * dynamic import), which reaches it too. A command shares work through a function that takes
 * values, never through another command's flags.
 */
export function commandMainImports(root: string, commands: string): string[] {
  const dir = resolve(root, commands);
  const inDir = (path: string) => dirname(path) === dir;
  const found: string[] = [];
  for (const file of typeScriptFiles(dir).filter(inDir)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const sibling = (node: ts.Node) =>
      ts.isStringLiteral(node) && node.text.startsWith('./') && inDir(resolve(dir, node.text)) && node.text;
    const visit = (node: ts.Node) => {
      if (ts.isImportDeclaration(node) && sibling(node.moduleSpecifier)) {
        const bindings = node.importClause?.namedBindings;
        const takesMain =
          bindings && (ts.isNamespaceImport(bindings) || bindings.elements.some((e) => (e.propertyName ?? e.name).text === 'main'));
        if (takesMain)
          found.push(
            `${relative(dirname(resolve(root)), file)
              .split(sep)
              .join('/')} runs main of '${sibling(node.moduleSpecifier)}'`,
          );
      } else if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        node.arguments[0] &&
        sibling(node.arguments[0])
      ) {
        found.push(
          `${relative(dirname(resolve(root)), file)
            .split(sep)
            .join('/')} runs main of '${sibling(node.arguments[0])}'`,
        );
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}
