/**
 * The benches' CPU figures: /proc's schedstat and stat lines parsed (property-based), and real
 * processes read around what they do: one that burns 200 ms of CPU reads ≈ 200 ms, one that
 * sleeps reads ≈ 0, and a worker thread's CPU counts while the main thread sleeps.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { cpuMsBetween, parseSchedstat, parseStatTicks, readProcessCpu, totalCpuMs, type ProcessCpu } from '../src/bench/process-cpu.js';

const LINUX = process.platform === 'linux';

describe('parseSchedstat', () => {
  it('takes the first of the three fields, nanoseconds on CPU', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.maxSafeNat(), fc.nat(), (onCpu, waiting, slices) => {
        expect(parseSchedstat(`${onCpu} ${waiting} ${slices}\n`)).toBe(onCpu);
      }),
    );
    expect(parseSchedstat('680755 2901939 2\n')).toBe(680755);
  });

  it('refuses what is not three whole numbers', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const parsed = parseSchedstat(text);
        if (!/^\d+ \d+ \d+\s*$/.test(text)) expect(parsed).toBeUndefined();
      }),
    );
    for (const text of ['', '1 2', '1 2 3 4', '-1 2 3', '1.5 2 3', 'a b c', '99999999999999999999 1 1'])
      expect(parseSchedstat(text), text).toBeUndefined();
  });
});

describe('parseStatTicks', () => {
  // pid (comm) state, then fields 4 to 52; utime and stime are fields 14 and 15.
  const statLine = (comm: string, utime: number, stime: number) => {
    const rest = Array.from({ length: 49 }, (_, i) => String(i + 4));
    rest[14 - 4] = String(utime);
    rest[15 - 4] = String(stime);
    return `4242 (${comm}) S ${rest.join(' ')}\n`;
  };

  it('adds utime and stime, whatever the command name holds (spaces, parentheses)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 15 }), fc.nat(), fc.nat(), (comm, utime, stime) => {
        expect(parseStatTicks(statLine(comm, utime, stime))).toBe(utime + stime);
      }),
    );
    expect(parseStatTicks(statLine('tokio-rt) R 1 2', 7, 5))).toBe(12);
    expect(parseStatTicks(readFileSync('/proc/self/stat', 'utf8'))).toBeGreaterThanOrEqual(0);
  });

  it('refuses a line without its fields', () => {
    expect(parseStatTicks('')).toBeUndefined();
    expect(parseStatTicks('4242 (node) S 1 2 3')).toBeUndefined();
    expect(parseStatTicks('4242 node S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15')).toBeUndefined();
    expect(parseStatTicks(statLine('x', 1, 2).replace(' 1 2 ', ' 1 -2 '))).toBeUndefined();
  });
});

describe('cpuMsBetween', () => {
  const reading = (threads: [number, number][]): ProcessCpu => ({ source: 'schedstat', threads: new Map(threads) });

  it('adds each thread’s growth; a new thread counts whole, a gone one not at all', () => {
    expect(
      cpuMsBetween(
        reading([
          [1, 5e6],
          [2, 1e6],
        ]),
        reading([
          [1, 7e6],
          [3, 4e6],
        ]),
      ),
    ).toBe(6);
    expect(
      totalCpuMs(
        reading([
          [1, 5e6],
          [2, 1.5e6],
        ]),
      ),
    ).toBe(6.5);
  });

  it('is never negative, and is the sum of the later reading for threads all new', () => {
    const threads = fc.array(fc.tuple(fc.integer({ min: 1, max: 50 }), fc.nat({ max: 1e12 })), { maxLength: 12 });
    fc.assert(
      fc.property(threads, threads, (a, b) => {
        const before = reading(a);
        const after = reading(b);
        expect(cpuMsBetween(before, after)).toBeGreaterThanOrEqual(0);
        expect(cpuMsBetween(reading([]), after)).toBeCloseTo(totalCpuMs(after), 6);
        expect(cpuMsBetween(after, after)).toBe(0);
      }),
    );
  });
});

/**
 * A Node.js child that waits for "go" on stdin, does `work`, says "done", then idles until
 * killed. `work` runs in the child with `done()` to call when finished.
 */
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

async function childDoing(work: string): Promise<{ pid: number; run(): Promise<void> }> {
  const script = `
    const { Worker } = require('node:worker_threads');
    const done = () => process.stdout.write('done\\n');
    process.stdin.once('data', () => { ${work} });
    setInterval(() => {}, 1 << 30);
    process.stdout.write('ready\\n');
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  const said = (word: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no '${word}' within 10 s`)), 10_000);
      const onData = (chunk: Buffer) => {
        if (!chunk.toString().includes(word)) return;
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve();
      };
      child.stdout.on('data', onData);
    });
  await said('ready');
  // Let the child's start-up (module loading, JIT, its helper threads) settle before the first reading.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return {
    pid: child.pid!,
    run: async () => {
      const finished = said('done');
      child.stdin.write('go\n');
      await finished;
    },
  };
}

/** Burns the CPU in the calling thread until it has used `ms` of it, by the thread's own clock. */
const BURN = (ms: number) =>
  `{ const start = process.cpuUsage(); while (true) { const used = process.cpuUsage(start); if ((used.user + used.system) / 1000 >= ${ms}) break; } }`;

describe.skipIf(!LINUX)('readProcessCpu, on real processes', () => {
  it('reads ≈ 200 ms for a process that burns 200 ms of CPU between the readings', { timeout: 20_000 }, async () => {
    const child = await childDoing(`${BURN(200)}; done();`);
    const before = readProcessCpu(child.pid)!;
    await child.run();
    const after = readProcessCpu(child.pid)!;
    expect(before.source).toBe('schedstat');
    const ms = cpuMsBetween(before, after);
    // The burn is measured by the process's own clock (all its threads), so only the write of
    // "done" and the helpers' bits come on top.
    expect(ms).toBeGreaterThanOrEqual(195);
    expect(ms).toBeLessThan(240);
    expect(totalCpuMs(after)).toBeGreaterThan(totalCpuMs(before) + 195);
  });

  it('reads ≈ 0 ms for a process that sleeps 300 ms between the readings', { timeout: 20_000 }, async () => {
    const child = await childDoing('setTimeout(done, 300);');
    const before = readProcessCpu(child.pid)!;
    const started = performance.now();
    await child.run();
    const after = readProcessCpu(child.pid)!;
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    // A sleeping Node.js process still wakes for its timer and V8's housekeeping: a few ms on a
    // busy machine (5.04 once in CI), never the 200 of the burn above.
    expect(cpuMsBetween(before, after)).toBeLessThan(25);
  });

  it('counts every thread: a worker burning 150 ms while the main thread sleeps', { timeout: 20_000 }, async () => {
    // The worker stays alive after its burn (it waits for a message), so its thread is still
    // there for the second reading, as a runtime's worker threads are.
    const child = await childDoing(`
      const worker = new Worker(${JSON.stringify(`${BURN(150)}; require('node:worker_threads').parentPort.postMessage('burnt'); setInterval(() => {}, 1 << 30);`)}, { eval: true });
      worker.once('message', done);
    `);
    const mainThread = () => parseSchedstat(readFileSync(`/proc/${child.pid}/schedstat`, 'utf8'))! / 1e6;
    const before = readProcessCpu(child.pid)!;
    const mainBefore = mainThread();
    await child.run();
    const after = readProcessCpu(child.pid)!;
    expect(after.threads.size).toBeGreaterThan(before.threads.size);
    // Starting a worker costs its own CPU (a V8 isolate), so more than the burn is expected.
    expect(cpuMsBetween(before, after)).toBeGreaterThanOrEqual(150);
    // The main thread alone, what /proc/<pid>/schedstat shows, saw little of it.
    expect(mainThread() - mainBefore).toBeLessThan(100);
  });

  it('gives undefined for a process that has ended', { timeout: 10_000 }, async () => {
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => child.once('exit', resolve));
    expect(readProcessCpu(child.pid!)).toBeUndefined();
  });
});
