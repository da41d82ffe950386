/**
 * Once per vitest run, before any test file: prunes the generated projects no test has asked for
 * in a while (test/support/built-project.ts), so .cache/test-projects holds what the current code
 * builds and not every crate the suite ever built.
 */
import { PROJECTS, pruneProjects, UNUSED_DAYS } from './built-project.js';

export default async function setup(): Promise<void> {
  const removed = await pruneProjects();
  if (removed.length)
    console.info(`pruned ${removed.length} test project(s) unused for ${UNUSED_DAYS} days from ${PROJECTS}: ${removed.join(', ')}`);
}
