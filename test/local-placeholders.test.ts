/**
 * What a local invoke stands in for a value only CloudFormation can give: the template's own
 * resources, and nothing else (a parameter, a pseudo parameter, `!Sub`, a resource not declared).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { localPlaceholder, namedResource } from '../src/runtime-api/lambda-env.js';

const RESOURCES = new Map([
  ['ResultsTable', 'AWS::DynamoDB::Table'],
  ['ResultsQueue', 'AWS::SQS::Queue'],
  ['InputStream', 'AWS::Kinesis::Stream'],
  ['AlarmTopic', 'AWS::SNS::Topic'],
  ['InputBucket', 'AWS::S3::Bucket'],
]);
const context = { resourceTypes: RESOURCES, region: 'eu-west-1', queueUrl: (id: string) => `http://127.0.0.1:9/000000000000/${id}` };

describe('localPlaceholder', () => {
  it.each([
    [{ Ref: 'ResultsTable' }, 'ResultsTable'],
    [{ Ref: 'ResultsQueue' }, 'http://127.0.0.1:9/000000000000/ResultsQueue'],
    [{ 'Fn::GetAtt': ['ResultsQueue', 'QueueUrl'] }, 'http://127.0.0.1:9/000000000000/ResultsQueue'],
    [{ 'Fn::GetAtt': 'ResultsQueue.Arn' }, 'arn:aws:sqs:eu-west-1:000000000000:ResultsQueue'],
    [{ 'Fn::GetAtt': ['ResultsTable', 'Arn'] }, 'arn:aws:dynamodb:eu-west-1:000000000000:table/ResultsTable'],
    [{ 'Fn::GetAtt': ['InputStream', 'Arn'] }, 'arn:aws:kinesis:eu-west-1:000000000000:stream/InputStream'],
    [{ 'Fn::GetAtt': ['InputBucket', 'Arn'] }, 'arn:aws:s3:::InputBucket'],
    [{ Ref: 'AlarmTopic' }, 'arn:aws:sns:eu-west-1:000000000000:AlarmTopic'],
    [{ 'Fn::GetAtt': ['ResultsQueue', 'QueueName'] }, 'ResultsQueue'],
  ])('stands in for %j with %s', (intrinsic: unknown, expected: string) => {
    expect(localPlaceholder(intrinsic, context)).toBe(expected);
  });

  it.each([
    [{ Ref: 'CorsAllowedOrigins' }, 'a parameter'],
    [{ Ref: 'AWS::StackName' }, 'a pseudo parameter'],
    [{ 'Fn::Sub': '${ResultsTable}-x' }, 'a !Sub'],
    [{ Ref: 'ResultsTable', Extra: 1 }, 'two keys'],
    [{ 'Fn::GetAtt': ['ResultsTable'] }, 'a GetAtt without its attribute'],
    [{ 'Fn::GetAtt': 'ResultsTable.' }, 'a GetAtt with an empty attribute'],
    ['ResultsTable', 'a plain string'],
    [null, 'null'],
  ])('stands in for nothing given %j (%s)', (intrinsic: unknown, _what: string) => {
    expect(localPlaceholder(intrinsic, context)).toBeUndefined();
  });

  it('stands in only for a declared resource, with a value that holds no control character', () => {
    const id = fc.oneof(fc.constantFrom(...RESOURCES.keys()), fc.string({ unit: 'binary', maxLength: 30 }));
    const intrinsic = fc.oneof(
      id.map((ref) => ({ Ref: ref })),
      fc.tuple(id, fc.string({ unit: 'binary', maxLength: 10 })).map((pair) => ({ 'Fn::GetAtt': pair })),
      fc.tuple(id, fc.string({ maxLength: 10 })).map(([ref, attribute]) => ({ 'Fn::GetAtt': `${ref}.${attribute}` })),
      fc.anything(),
    );
    fc.assert(
      fc.property(intrinsic, (value) => {
        const placeholder = localPlaceholder(value, context);
        const named = namedResource(value);
        if (named === undefined || !RESOURCES.has(named.id)) expect(placeholder).toBeUndefined();
        else expect(placeholder).toMatch(/^[\x21-\x7e]+$/);
      }),
      { numRuns: 1000 },
    );
  });
});
