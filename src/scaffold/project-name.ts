/**
 * The project name a directory's name suggests, for when no --name is given: made into a package
 * name the way create-vite's toValidPackageName does, then fitted to the project-name rules (a
 * crate and a stack are named after it), so `create-fast-lambda My_Service --yes` just works.
 */
import { S3_MAX_NAME_LENGTH, type TriggerId } from './catalog.js';
import { nameProblem } from './spec.js';

export type DerivedName = { name: string; problem?: undefined } | { name?: undefined; problem: string };

const MAX_NAME_LENGTH = 64;

export const maxNameLength = (trigger?: TriggerId): number => (trigger === 's3' ? S3_MAX_NAME_LENGTH : MAX_NAME_LENGTH);

/** `My_Service` → `my-service`; or why no valid name comes out of it. */
export function projectNameFromDirectory(directoryName: string, trigger?: TriggerId): DerivedName {
  const name = directoryName
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-')
    .replace(/^\.+/, '')
    .replace(/[^a-z0-9-]/g, '')
    // A crate name must start with a letter; a stack name too.
    .replace(/^[^a-z]+/, '')
    .slice(0, maxNameLength(trigger))
    .replace(/-+$/, '');
  if (name === '') return { problem: 'it has no letter to start a project name with' };
  const problem = nameProblem(name, trigger);
  return problem ? { problem: `"${name}" ${problem}` } : { name };
}
