/**
 * moto for the end-to-end tests: the server itself (src/tools/moto.ts, shared with the function
 * benchmark), and ports that are closed, or that forward to moto only from a given moment, to
 * play an unreachable sink that comes back.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from '../../src/tools/moto.js';

export { awsEnv, freePort, startMoto, type MotoServer } from '../../src/tools/moto.js';

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
