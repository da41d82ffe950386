/**
 * The resources template.yaml declares, by logical id: what a local run may stand in for when
 * the function's environment names one of them (`TABLE_NAME: !Ref ResultsTable`).
 */
import { readFile } from 'node:fs/promises';
import { parseCfnYaml } from './cfn-yaml.js';

/** Logical id → resource type (`AWS::SQS::Queue`); empty if the template cannot be read. */
export async function resourceTypesOf(templatePath: string): Promise<Map<string, string>> {
  const types = new Map<string, string>();
  try {
    const template = parseCfnYaml(await readFile(templatePath, 'utf8')) as { Resources?: unknown };
    const resources = template?.Resources;
    if (typeof resources !== 'object' || resources === null) return types;
    for (const [id, resource] of Object.entries(resources)) {
      const type = (resource as { Type?: unknown } | null)?.Type;
      if (typeof type === 'string') types.set(id, type);
    }
  } catch {
    // loadProject has read this template already; one that cannot be read here stands in for nothing.
  }
  return types;
}
