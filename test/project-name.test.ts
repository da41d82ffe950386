/**
 * projectNameFromDirectory: a directory's name made into a project name the way create-vite
 * makes package names, then fitted to the crate and stack rules, or the reason it cannot be.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TRIGGERS, type TriggerId } from '../src/scaffold/catalog.js';
import { maxNameLength, projectNameFromDirectory } from '../src/scaffold/project-name.js';
import { nameProblem } from '../src/scaffold/spec.js';

const triggers = fc.constantFrom<TriggerId | undefined>(undefined, ...TRIGGERS.map((row) => row.id));
const directoryNames = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 90 }),
  fc.string({ unit: fc.constantFrom('A', 'b', 'Z', '7', '-', '_', '.', ' ', '\t', 'É', '😀', '~', '$', "'"), maxLength: 80 }),
);

describe('projectNameFromDirectory', () => {
  it.each([
    ['My_Service', 'my-service'],
    ['  My Service  ', 'my-service'],
    ['.hidden-fn', 'hidden-fn'],
    ['_private', 'private'],
    ['2024-orders', 'orders'],
    ['Café Ordérs!', 'caf-ordrs'],
    ['my-fn', 'my-fn'],
    ['ends-with-', 'ends-with'],
  ])('%s → %s', (directoryName, name) => {
    expect(projectNameFromDirectory(directoryName)).toEqual({ name });
  });

  it('fits the name to the trigger: 35 characters with S3, without a trailing dash', () => {
    const directoryName = `${'a'.repeat(34)}-tail`;
    expect(projectNameFromDirectory(directoryName)).toEqual({ name: directoryName });
    expect(projectNameFromDirectory(directoryName, 's3')).toEqual({ name: 'a'.repeat(34) });
  });

  it.each([
    ['2024', /no letter/],
    ['___', /no letter/],
    ['😀', /no letter/],
    ['Serde', /"serde" is taken/],
    ['std', /"std" is taken/],
  ])('says why %s gives no name', (directoryName, reason) => {
    expect(projectNameFromDirectory(directoryName).problem).toMatch(reason);
  });

  it('gives a valid name for the trigger, or a one-line reason, for any directory name', () => {
    fc.assert(
      fc.property(directoryNames, triggers, (directoryName, trigger) => {
        const derived = projectNameFromDirectory(directoryName, trigger);
        if (derived.name !== undefined) {
          expect(nameProblem(derived.name, trigger)).toBeUndefined();
          expect(derived.name.length).toBeLessThanOrEqual(maxNameLength(trigger));
        } else {
          expect(derived.problem).toMatch(/^[^\n]+$/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps a name that is already valid exactly as it is', () => {
    // Valid with every trigger, the S3 one being the strictest.
    const validNames = fc.stringMatching(/^[a-z][a-z0-9-]{0,33}[a-z0-9]$/).filter((name) => nameProblem(name, 's3') === undefined);
    fc.assert(
      fc.property(validNames, triggers, (name, trigger) => {
        expect(projectNameFromDirectory(name, trigger)).toEqual({ name });
      }),
      { numRuns: 500 },
    );
  });
});
