/**
 * npm run bench:logs: how fast `lambda-kit logs` turns log events into lines (the formatter and
 * the summary's bookkeeping, in process), and how long an event takes from being written to
 * CloudWatch Logs to being printed by `lambda-kit logs --tail --poll` (the real CLI, against a
 * moto server on loopback; moto has no LiveTail, so this is the polling path).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { LogFormatter, type LogEvent } from '../aws/log-format.js';
import { InvocationStats, percentile } from '../aws/log-summary.js';
import { startMoto } from '../tools/moto.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A realistic mix: per invocation START, two text lines, a tracing JSON line, END, REPORT. */
function sampleEvents(invocations: number): LogEvent[] {
  const events: LogEvent[] = [];
  let t = Date.UTC(2026, 4, 1, 9, 30);
  for (let i = 0; i < invocations; i++) {
    const id = `6e4b5dc6-5a0b-4a45-b2f9-${String(i).padStart(12, '0')}`;
    const messages = [
      `START RequestId: ${id} Version: $LATEST`,
      `INFO Lambda runtime invoke{requestId="${id}" xrayTraceId="Root=1-6634f1a2-5e1b4151"}: orders: received batch size=10`,
      JSON.stringify({
        timestamp: '2026-05-01T09:30:00.124Z',
        level: i % 50 === 0 ? 'ERROR' : 'INFO',
        fields: { message: 'stored item', id: `A-${i}` },
        target: 'orders',
        span: { requestId: id },
      }),
      `INFO Lambda runtime invoke{requestId="${id}"}: orders: done`,
      `END RequestId: ${id}`,
      `REPORT RequestId: ${id}\tDuration: ${(2 + (i % 7)).toFixed(2)} ms\tBilled Duration: ${3 + (i % 7)} ms\tMemory Size: 512 MB\tMax Memory Used: 21 MB\t${i % 20 === 0 ? 'Init Duration: 33.12 ms\t' : ''}`,
    ];
    for (const message of messages)
      events.push({ timestamp: t++, message, logStreamName: `s${i % 4}`, logGroupName: '/aws/lambda/orders', functionId: 'AppFunction' });
  }
  return events;
}

function formatterThroughput(): { linesPerSecond: number; lines: number } {
  const events = sampleEvents(20_000);
  const rounds: number[] = [];
  let sink = 0;
  for (let round = 0; round < 7; round++) {
    const formatter = new LogFormatter({ colour: true, verbose: false, showFunction: false });
    const stats = new InvocationStats(512);
    const start = performance.now();
    for (const event of events) {
      const line = formatter.classify(event);
      stats.observe(line);
      sink += line.text?.length ?? 0;
    }
    stats.summary();
    const seconds = (performance.now() - start) / 1000;
    // The first two rounds warm the JIT.
    if (round >= 2) rounds.push(events.length / seconds);
  }
  if (sink === 0) throw new Error('nothing formatted');
  rounds.sort((a, b) => a - b);
  return { linesPerSecond: rounds[Math.floor(rounds.length / 2)]!, lines: events.length };
}

async function tailLatency(venvBin: string, samples: number): Promise<number[]> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { CloudFormationClient, CreateStackCommand } = await import('@aws-sdk/client-cloudformation');
  const { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
  const moto = await startMoto(venvBin);
  const config = { region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const cfn = new CloudFormationClient(config);
  const logs = new CloudWatchLogsClient(config);
  try {
    const role = {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
      },
    };
    const fn = {
      Type: 'AWS::Lambda::Function',
      Properties: {
        FunctionName: 'bench',
        Runtime: 'provided.al2023',
        Handler: 'bootstrap',
        Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
        Code: { ZipFile: 'unused' },
      },
    };
    await cfn.send(
      new CreateStackCommand({ StackName: 'bench', TemplateBody: JSON.stringify({ Resources: { Role: role, AppFunction: fn } }) }),
    );
    await logs.send(new CreateLogStreamCommand({ logGroupName: '/aws/lambda/bench', logStreamName: 's1' })).catch(async () => {
      const { CreateLogGroupCommand } = await import('@aws-sdk/client-cloudwatch-logs');
      await logs.send(new CreateLogGroupCommand({ logGroupName: '/aws/lambda/bench' }));
      await logs.send(new CreateLogStreamCommand({ logGroupName: '/aws/lambda/bench', logStreamName: 's1' }));
    });

    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin/lambda-kit.js'), 'logs', '--stack-name', 'bench', '--tail', '--poll', '--since', '1m'],
      {
        env: { ...process.env, ...moto.env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const written = new Map<number, number>();
    const latencies: number[] = [];
    let ready = false;
    let buffer = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (chunk.includes('Tailing')) ready = true;
    });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const now = performance.now();
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        const seq = /bench seq=(\d+)/.exec(line)?.[1];
        const at = seq === undefined ? undefined : written.get(Number(seq));
        if (at !== undefined) latencies.push(now - at);
      }
    });
    while (!ready) await new Promise((resolve) => setTimeout(resolve, 20));
    for (let seq = 0; seq < samples; seq++) {
      // Irregular gaps, so writes land at every phase of the poll interval.
      await new Promise((resolve) => setTimeout(resolve, 150 + ((seq * 373) % 400)));
      written.set(seq, performance.now());
      await logs.send(
        new PutLogEventsCommand({
          logGroupName: '/aws/lambda/bench',
          logStreamName: 's1',
          logEvents: [{ timestamp: Date.now(), message: `INFO bench seq=${seq}` }],
        }),
      );
    }
    const deadline = Date.now() + 10_000;
    while (latencies.length < samples && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGINT');
    await new Promise((resolve) => child.once('close', resolve));
    if (latencies.length < samples) throw new Error(`only ${latencies.length} of ${samples} events were printed`);
    return latencies.sort((a, b) => a - b);
  } finally {
    cfn.destroy();
    logs.destroy();
    await moto.stop();
  }
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${process.platform}/${process.arch}\n`);
  const { linesPerSecond, lines } = formatterThroughput();
  const target = 200_000;
  console.log(
    `formatter + summary: ${Math.round(linesPerSecond).toLocaleString('en-US')} lines/s (median of 5 rounds of ${lines.toLocaleString('en-US')} lines; target ≥ ${target.toLocaleString('en-US')}/s) ${linesPerSecond >= target ? 'ok' : 'BELOW TARGET'}`,
  );

  const venvBin = process.env.MOTO_VENV_BIN ?? join(ROOT, '.venv/bin');
  if (!existsSync(join(venvBin, 'moto_server'))) {
    console.log(`tail latency: skipped (no moto_server in ${venvBin}; run scripts/python-tools.sh or set MOTO_VENV_BIN)`);
    return;
  }
  const samples = Number(process.env.SAMPLES ?? 40);
  const latencies = await tailLatency(venvBin, samples);
  const ms = (v: number | undefined) => `${Math.round(v ?? 0)} ms`;
  console.log(
    `tail latency (logs --tail --poll against moto, written → printed, ${samples} events): median ${ms(percentile(latencies, 50))}, p95 ${ms(percentile(latencies, 95))}, max ${ms(latencies.at(-1))}`,
  );
}

await main();
