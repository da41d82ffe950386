/**
 * CloudFormation YAML: short-form intrinsics (`!Ref X`, `!GetAtt X.Arn`, `!Sub [...]`) parse
 * into their long form (`{Ref: X}`, `{'Fn::GetAtt': [X, Arn]}`), as CloudFormation reads them.
 */
import { parseDocument, type Tags } from 'yaml';

const INTRINSICS = ['Ref', 'Condition', 'GetAtt', 'Base64', 'Cidr', 'FindInMap', 'GetAZs', 'ImportValue', 'Join'].concat([
  'Select',
  'Split',
  'Sub',
  'Transform',
  'And',
  'Equals',
  'If',
  'Not',
  'Or',
  'ToJsonString',
  'Length',
]);

export const CFN_TAGS: Tags = INTRINSICS.flatMap((name) => {
  const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
  const scalar = (value: string) => (name === 'GetAtt' ? value.split(/\.(.*)/s, 2) : value);
  return [
    { tag: `!${name}`, resolve: (value: string) => ({ [key]: scalar(value) }) },
    { tag: `!${name}`, collection: 'seq' as const, resolve: (seq: { toJSON(): unknown }) => ({ [key]: seq.toJSON() }) },
    { tag: `!${name}`, collection: 'map' as const, resolve: (map: { toJSON(): unknown }) => ({ [key]: map.toJSON() }) },
  ];
});

/** Why a template does not parse, and on which line: one line, whatever the yaml library said. */
export class YamlProblem extends Error {
  constructor(
    readonly line: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'YamlProblem';
  }
}

/**
 * Parses a CloudFormation or SAM template; duplicate keys are an error, as in CloudFormation.
 * So is a tag that is not an intrinsic (`!Reff`): CloudFormation refuses the template anyway, and
 * the yaml library would print a warning of several lines and read the value as a plain string.
 */
export function parseCfnYaml(text: string): unknown {
  const doc = parseDocument(text, { customTags: CFN_TAGS, uniqueKeys: true, logLevel: 'silent' });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const line = problem.linePos?.[0].line;
    // The library's message goes on with a code excerpt on further lines; its first line says it all.
    let message = problem.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    if (problem.code === 'TAG_RESOLVE_FAILED') {
      message = `${message.replace(/^Unresolved tag:?/, 'unknown tag')} (CloudFormation's are !Ref, !GetAtt, !Sub, …)`;
    }
    throw new YamlProblem(line, message);
  }
  return doc.toJS({ maxAliasCount: 100 });
}
