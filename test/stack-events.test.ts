/**
 * The stack-event tail without AWS (aws-sdk-client-mock): pagination past 100 events back to the
 * start marker, backoff on throttling, nested stacks; and the root cause and hints.
 */
import { CloudFormationClient, DescribeStackEventsCommand, type ResourceStatus, type StackEvent } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { rootCause } from '../src/aws/root-cause.js';
import { tailStackEvents, type StartMarker } from '../src/aws/stack-events.js';
import { formatEvent, toneOf } from '../src/cli/stack-view.js';

const ROOT = 'arn:aws:cloudformation:us-east-1:123456789012:stack/orders/1';
const NESTED = 'arn:aws:cloudformation:us-east-1:123456789012:stack/orders-Api-X/2';
const T0 = Date.parse('2026-01-01T00:00:00Z');
const since: StartMarker = { eventId: 'old', time: new Date(T0) };
const cf = mockClient(CloudFormationClient);
afterEach(() => cf.reset());

let n = 0;
function ev(logicalId: string, status: ResourceStatus, opts: Partial<StackEvent> = {}): StackEvent {
  n++;
  const isRoot = logicalId === 'orders';
  return {
    EventId: `e${n}`,
    StackId: ROOT,
    StackName: 'orders',
    LogicalResourceId: logicalId,
    PhysicalResourceId: isRoot ? ROOT : `phys-${logicalId}`,
    ResourceType: isRoot ? 'AWS::CloudFormation::Stack' : 'AWS::SQS::Queue',
    ResourceStatus: status,
    Timestamp: new Date(T0 + n * 1000),
    ...opts,
  };
}
const newestFirst = (events: StackEvent[]) => [...events].reverse();
const noSleep: { waits: number[]; sleep: (ms: number) => Promise<void> } = { waits: [], sleep: async (ms) => void noSleep.waits.push(ms) };

describe('tailStackEvents', () => {
  it('pages through more than 100 new events back to the marker, oldest first, each once', async () => {
    const old = { ...ev('orders', 'CREATE_COMPLETE'), EventId: 'old', Timestamp: new Date(T0) };
    const fresh = [
      ev('orders', 'UPDATE_IN_PROGRESS'),
      ...Array.from({ length: 248 }, (_, i) => ev(`Q${i}`, i % 2 ? 'UPDATE_COMPLETE' : 'UPDATE_IN_PROGRESS')),
      ev('orders', 'UPDATE_COMPLETE'),
    ];
    const all = newestFirst([old, ...fresh]);
    cf.on(DescribeStackEventsCommand).callsFake((input: { NextToken?: string }) => {
      const start = Number(input.NextToken ?? 0);
      return { StackEvents: all.slice(start, start + 100), NextToken: start + 100 < all.length ? String(start + 100) : undefined };
    });
    const seen: string[] = [];
    const result = await tailStackEvents(new CloudFormationClient({}), {
      stack: 'orders',
      since,
      onEvent: (e) => seen.push(e.EventId!),
      sleep: noSleep.sleep,
    });
    expect(result).toMatchObject({ status: 'UPDATE_COMPLETE', finished: true, ended: 'terminal' });
    expect(seen).toEqual(fresh.map((e) => e.EventId));
    expect(cf.commandCalls(DescribeStackEventsCommand)).toHaveLength(3);
  });

  it('backs off on throttling, doubling the wait, and goes on without losing or repeating events', async () => {
    const first = [ev('orders', 'CREATE_IN_PROGRESS'), ev('Queue', 'CREATE_IN_PROGRESS')];
    const later = [...first, ev('Queue', 'CREATE_COMPLETE'), ev('orders', 'CREATE_COMPLETE')];
    const throttle = Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
    cf.on(DescribeStackEventsCommand)
      .resolvesOnce({ StackEvents: newestFirst(first) })
      .rejectsOnce(throttle)
      .rejectsOnce(throttle)
      .resolves({ StackEvents: newestFirst(later) });
    noSleep.waits = [];
    const seen: string[] = [];
    const result = await tailStackEvents(new CloudFormationClient({}), {
      stack: 'orders',
      since,
      onEvent: (e) => seen.push(`${e.LogicalResourceId} ${e.ResourceStatus}`),
      intervalMs: 500,
      sleep: noSleep.sleep,
    });
    expect(result.status).toBe('CREATE_COMPLETE');
    expect(seen).toEqual(['orders CREATE_IN_PROGRESS', 'Queue CREATE_IN_PROGRESS', 'Queue CREATE_COMPLETE', 'orders CREATE_COMPLETE']);
    expect(noSleep.waits).toEqual([500, 1000, 2000]);
  });

  it("follows nested stacks' events, and ends on the root's terminal status, not a nested one's", async () => {
    const nestedType = { ResourceType: 'AWS::CloudFormation::Stack' };
    const rootEvents = [ev('orders', 'CREATE_IN_PROGRESS'), ev('Api', 'CREATE_IN_PROGRESS', { ...nestedType, PhysicalResourceId: NESTED })];
    const nestedEvents = [
      ev('orders-Api-X', 'CREATE_IN_PROGRESS', { ...nestedType, StackId: NESTED, PhysicalResourceId: NESTED }),
      ev('Route', 'CREATE_FAILED', {
        StackId: NESTED,
        ResourceType: 'AWS::ApiGatewayV2::Route',
        ResourceStatusReason: 'Invalid route key',
      }),
      ev('orders-Api-X', 'ROLLBACK_COMPLETE', { ...nestedType, StackId: NESTED, PhysicalResourceId: NESTED }),
    ];
    const rootLater = [
      ...rootEvents,
      ev('Api', 'CREATE_FAILED', {
        ...nestedType,
        PhysicalResourceId: NESTED,
        ResourceStatusReason:
          'Embedded stack orders-Api-X was not successfully created: The following resource(s) failed to create: [Route].',
      }),
      ev('orders', 'ROLLBACK_IN_PROGRESS'),
      ev('orders', 'ROLLBACK_COMPLETE'),
    ];
    let rootPolls = 0;
    cf.on(DescribeStackEventsCommand, { StackName: 'orders' }).callsFake(() => ({
      StackEvents: newestFirst(++rootPolls < 3 ? rootEvents : rootLater),
    }));
    cf.on(DescribeStackEventsCommand, { StackName: NESTED }).resolves({ StackEvents: newestFirst(nestedEvents) });
    const seen: StackEvent[] = [];
    const result = await tailStackEvents(new CloudFormationClient({}), {
      stack: 'orders',
      since,
      onEvent: (e) => seen.push(e),
      sleep: noSleep.sleep,
    });
    expect(result).toMatchObject({ status: 'ROLLBACK_COMPLETE', ended: 'terminal' });
    expect(seen.map((e) => `${e.LogicalResourceId} ${e.ResourceStatus}`)).toEqual([
      'orders CREATE_IN_PROGRESS',
      'Api CREATE_IN_PROGRESS',
      'orders-Api-X CREATE_IN_PROGRESS',
      'Route CREATE_FAILED',
      'orders-Api-X ROLLBACK_COMPLETE',
      'Api CREATE_FAILED',
      'orders ROLLBACK_IN_PROGRESS',
      'orders ROLLBACK_COMPLETE',
    ]);
    expect(rootCause(seen)).toMatchObject({
      logicalId: 'Route',
      type: 'AWS::ApiGatewayV2::Route',
      status: 'CREATE_FAILED',
      reason: 'Invalid route key',
    });
  });

  it('when sam is done without changing the stack, reads once more and ends', async () => {
    cf.on(DescribeStackEventsCommand).resolves({
      StackEvents: [{ ...ev('orders', 'CREATE_COMPLETE'), EventId: 'old', Timestamp: new Date(T0) }],
    });
    const result = await tailStackEvents(new CloudFormationClient({}), {
      stack: 'orders',
      since,
      onEvent: () => {},
      until: Promise.resolve(),
      sleep: noSleep.sleep,
    });
    expect(result).toMatchObject({ events: [], ended: 'until', status: undefined });
  });
});

describe('rootCause and the view', () => {
  it('skips the failures that only follow the first one, and hints at known fixes', () => {
    const cause = rootCause([
      ev('Queue', 'CREATE_FAILED', { ResourceStatusReason: 'Resource creation cancelled' }),
      ev('InputBucket', 'CREATE_FAILED', { ResourceType: 'AWS::S3::Bucket', ResourceStatusReason: 'orders-input already exists' }),
    ]);
    expect(cause).toMatchObject({ logicalId: 'InputBucket', hint: expect.stringContaining('exists outside this stack') });
    expect(
      rootCause([
        ev('InputBucket', 'DELETE_FAILED', {
          ResourceStatusReason: 'The bucket you tried to delete is not empty',
          PhysicalResourceId: 'orders-input',
        }),
      ])?.hint,
    ).toContain('aws s3 rm s3://orders-input --recursive');
    expect(rootCause([ev('orders', 'UPDATE_COMPLETE')])).toBeUndefined();
  });

  it('colours by status, and prints one plain line per event', () => {
    expect(['CREATE_COMPLETE', 'UPDATE_IN_PROGRESS', 'CREATE_FAILED', 'UPDATE_ROLLBACK_COMPLETE', 'DELETE_COMPLETE'].map(toneOf)).toEqual([
      'good',
      'busy',
      'bad',
      'bad',
      'good',
    ]);
    const line = formatEvent({
      ...ev('Queue', 'CREATE_FAILED', { ResourceStatusReason: 'boom' }),
      Timestamp: new Date(2026, 0, 1, 9, 5, 7),
    });
    expect(line).toMatch(/^09:05:07 {2}CREATE_FAILED +AWS::SQS::Queue +Queue {2}boom$/);
  });
});
