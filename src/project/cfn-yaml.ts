/**
 * CloudFormation YAML: short-form intrinsics (`!Ref X`, `!GetAtt X.Arn`, `!Sub [...]`) parse
 * into their long form (`{Ref: X}`, `{'Fn::GetAtt': [X, Arn]}`), as CloudFormation reads them.
 */
import { parse, type Tags } from 'yaml';

const INTRINSICS = ['Ref', 'Condition', 'GetAtt', 'Base64', 'Cidr', 'FindInMap', 'GetAZs', 'ImportValue', 'Join']
  .concat(['Select', 'Split', 'Sub', 'Transform', 'And', 'Equals', 'If', 'Not', 'Or', 'ToJsonString', 'Length']);

export const CFN_TAGS: Tags = INTRINSICS.flatMap((name) => {
  const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
  const scalar = (value: string) => (name === 'GetAtt' ? value.split(/\.(.*)/s, 2) : value);
  return [
    { tag: `!${name}`, resolve: (value: string) => ({ [key]: scalar(value) }) },
    { tag: `!${name}`, collection: 'seq' as const, resolve: (seq: { toJSON(): unknown }) => ({ [key]: seq.toJSON() }) },
    { tag: `!${name}`, collection: 'map' as const, resolve: (map: { toJSON(): unknown }) => ({ [key]: map.toJSON() }) },
  ];
});

/** Parses a CloudFormation or SAM template; duplicate keys are an error, as in CloudFormation. */
export function parseCfnYaml(text: string): unknown {
  return parse(text, { customTags: CFN_TAGS, uniqueKeys: true });
}
