import { APIS, ARCHS, SINKS, TRIGGERS } from '../../src/scaffold/catalog.js';
import { resolveSpec, type ProjectSpec } from '../../src/scaffold/spec.js';

/** Every trigger (and API flavour) × sink × architecture, with the defaults for the rest. */
export const ALL_SPECS: ProjectSpec[] = TRIGGERS.flatMap((trigger) =>
  (trigger.id === 'api' ? APIS.map((a) => a.id as string) : [undefined]).flatMap((api) =>
    SINKS.flatMap((sink) =>
      ARCHS.map((arch) =>
        resolveSpec({ name: `fn-${trigger.id}${api ? `-${api}` : ''}-${sink.id}`, trigger: trigger.id, api, sink: sink.id, arch: arch.id }),
      ),
    ),
  ),
);
