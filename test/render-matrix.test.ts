import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { matrixDigests, matrixSpecs, renderForMatrix } from './support/render-matrix.js';

/**
 * A digest of every file of every combination. A template change that alters output shows here
 * as the (combination, file) pairs it touches; regenerate deliberately with
 * `UPDATE_RENDER_MATRIX=1 npx vitest run test/render-matrix.test.ts`, and read the diff.
 * `RENDER_MATRIX_DIR=/tmp/out` also writes every rendered file there, to diff two trees.
 */
const DIGESTS = fileURLToPath(new URL('./fixtures/render-matrix.json', import.meta.url));

describe('the render matrix', () => {
  it('renders every combination as recorded', () => {
    const outDir = process.env.RENDER_MATRIX_DIR;
    if (outDir) {
      for (const { label, spec } of matrixSpecs()) {
        for (const [path, contents] of renderForMatrix(spec)) {
          const target = join(outDir, label, path);
          mkdirSync(dirname(target), { recursive: true });
          writeFileSync(target, contents);
        }
      }
    }
    const digests = matrixDigests();
    if (process.env.UPDATE_RENDER_MATRIX === '1') {
      writeFileSync(DIGESTS, `${JSON.stringify(digests, null, 1)}\n`);
    }
    expect(digests).toEqual(JSON.parse(readFileSync(DIGESTS, 'utf8')));
  });
});
