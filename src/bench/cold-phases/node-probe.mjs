// Where a Node.js cold start goes: the Node.js twin's init (the SDK, one SQSClient with its
// defaults), then two SendMessageBatch requests, with the process's CPU time (every thread) and
// the wall time since the bench spawned it marked between phases. bench:phases bundles it with
// esbuild as sam build bundles the twin, so loading the SDK is evaluating the bundled modules.
import { performance } from 'node:perf_hooks';

const spawnedAt = Number(process.env.PROBE_SPAWNED_AT);
const mark = () => {
  const { user, system } = process.cpuUsage();
  return { cpu: (user + system) / 1000, wall: performance.timeOrigin + performance.now() - spawnedAt };
};
const marks = { start: mark() };
// A dynamic import, so that the modules are evaluated after the first mark, not before it.
const { SQSClient, SendMessageBatchCommand } = await import('@aws-sdk/client-sqs');
marks.sdkImported = mark();
const sqs = new SQSClient({});
marks.client = mark();
const batch = () => new SendMessageBatchCommand({ QueueUrl: process.env.QUEUE_URL, Entries: [{ Id: '0', MessageBody: '{}' }] });
await sqs.send(batch());
marks.firstSend = mark();
await sqs.send(batch());
marks.secondSend = mark();
process.stdout.write(`${JSON.stringify(marks)}\n`);
