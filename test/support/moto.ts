/**
 * moto for the end-to-end tests: the server itself (src/tools/moto.ts, shared with the function
 * benchmark), one per test file, the settings of SDK clients that talk to it, the execution role
 * every stack deployed into it needs, and ports that are closed, or that forward to moto only
 * from a given moment, to play an unreachable sink that comes back.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { freePort, startMoto, type MotoServer } from '../../src/tools/moto.js';
import { IN_CI, pythonTools } from './tools.js';

export { awsEnv, freePort, startMoto, type MotoServer } from '../../src/tools/moto.js';

/** What an AWS SDK client needs to talk to `moto`: its endpoint, its region and the dummy credentials of its env. */
export function clientConfig(moto: Pick<MotoServer, 'endpoint' | 'env'>) {
  return {
    endpoint: moto.endpoint,
    region: moto.env.AWS_REGION!,
    credentials: { accessKeyId: moto.env.AWS_ACCESS_KEY_ID!, secretAccessKey: moto.env.AWS_SECRET_ACCESS_KEY! },
  };
}

/** The IAM role a function's stack template gives it, for templates deployed into moto. */
export const LAMBDA_ROLE = {
  Type: 'AWS::IAM::Role',
  Properties: {
    AssumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    },
  },
} as const;

/** A test file's moto: its server's figures once started (reading them before throws), or why it cannot start. */
export interface FileMoto extends Omit<MotoServer, 'stop'> {
  /** Why moto cannot run here (the Python tools are missing): the file's tests skip; undefined when it runs. */
  readonly missing: string | undefined;
}

/**
 * One moto server for the test file that calls this at its top level: started before its tests
 * and stopped after them. Without the Python tools its tests skip (see `missing`); in CI that
 * fails the file instead, as `what` needs moto.
 */
export function motoForFile(what: string): FileMoto {
  const tools = pythonTools();
  const missing = 'problem' in tools ? `Python tools: ${tools.problem}` : undefined;
  if (missing && IN_CI) throw new Error(`${what} need moto in CI: ${missing}`);
  let server: MotoServer | undefined;
  beforeAll(async () => {
    if ('bin' in tools) server = await startMoto(tools.bin);
  });
  afterAll(async () => {
    await server?.stop();
  });
  const running = () => {
    if (!server) throw new Error(missing ?? 'moto is not running yet: read it in a test or a hook');
    return server;
  };
  return {
    missing,
    get port() {
      return running().port;
    },
    get endpoint() {
      return running().endpoint;
    },
    get env() {
      return running().env;
    },
  };
}

/**
 * A port that refuses connections until `open()`, then forwards them to `targetPort`: a sink
 * that is down, then back, while the same function process keeps running.
 */
export async function switchablePort(targetPort: number): Promise<{ port: number; open(): Promise<void>; close(): Promise<void> }> {
  const port = await freePort();
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  return {
    port,
    async open() {
      server = createServer((client) => {
        const upstream = connect(targetPort, '127.0.0.1');
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((resolve, reject) => server!.once('error', reject).listen(port, '127.0.0.1', resolve));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      if (server) await new Promise((resolve) => server!.close(resolve));
    },
  };
}
