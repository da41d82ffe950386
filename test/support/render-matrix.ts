import { createHash } from 'node:crypto';
import { APIS, ARCHS, AUTHS, EXAMPLES, SINKS, TRIGGERS } from '../../src/scaffold/catalog.js';
import { renderProject } from '../../src/scaffold/render.js';
import { resolveSpec, type ProjectSpec, type RawAnswers } from '../../src/scaffold/spec.js';
import { packageRoot } from '../../src/version.js';

/**
 * Every combination a user can ask for: trigger (and API flavour and auth) × sink × architecture,
 * and each example with and without its twins. A restructure of templates/ must render all of them
 * byte for byte as before (test/render-matrix.test.ts holds their digests).
 */
export function matrixSpecs(): { label: string; spec: ProjectSpec }[] {
  const specs: { label: string; spec: ProjectSpec }[] = [];
  const add = (label: string, raw: RawAnswers) => specs.push({ label, spec: resolveSpec(raw) });
  for (const arch of ARCHS.map((a) => a.id)) {
    for (const trigger of TRIGGERS.map((t) => t.id)) {
      const apiChoices = trigger === 'api' ? APIS.map((a) => a.id) : [undefined];
      for (const api of apiChoices) {
        const authChoices = api === undefined ? [undefined] : AUTHS.map((a) => a.id);
        for (const auth of authChoices) {
          for (const sink of SINKS.map((s) => s.id)) {
            const jwt =
              auth !== 'jwt'
                ? {}
                : api === 'rest'
                  ? { jwtIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123', jwtAudience: 'my-client' }
                  : { jwtIssuer: 'https://example.auth0.com/', jwtAudience: 'my-client' };
            const label = [trigger, api, auth, sink, arch].filter(Boolean).join('-');
            add(label, { name: `fn-${trigger}`, trigger, api, auth, sink, arch, ...jwt });
          }
        }
      }
    }
    for (const example of EXAMPLES.map((e) => e.id)) {
      for (const twins of ['true', 'false']) {
        add(`example-${example}-${twins === 'true' ? 'twins' : 'alone'}-${arch}`, { name: example, example, twins, arch });
      }
    }
  }
  return specs;
}

/** A spec's files, with this checkout's folder (in package.json's file: link) as `<root>`. */
export function renderForMatrix(spec: ProjectSpec): Map<string, string> {
  const root = packageRoot();
  return new Map([...renderProject(spec)].map(([path, contents]) => [path, contents.replaceAll(root, '<root>')]));
}

/** `<label>/<path>` → the first 16 hex digits of its SHA-256, over every combination. */
export function matrixDigests(): Record<string, string> {
  const digests: Record<string, string> = {};
  for (const { label, spec } of matrixSpecs()) {
    for (const [path, contents] of renderForMatrix(spec)) {
      digests[`${label}/${path}`] = createHash('sha256').update(contents).digest('hex').slice(0, 16);
    }
  }
  return digests;
}
