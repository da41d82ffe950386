/**
 * Reading a request's body with a size limit, for the loopback servers (the Runtime API emulator
 * and `lambda-kit dev`): whatever a client sends, the server holds at most `limit` bytes of it.
 */
import type { IncomingMessage } from 'node:http';

/** The request's body, at most `limit` bytes; a client that goes away mid-body is 'aborted'. */
export function readRequestBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Read the rest and drop it, so the 413 reaches the client rather than a reset.
        req.removeAllListeners('data');
        req.resume();
        resolve('too-large');
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve('aborted'));
    req.on('close', () => resolve(req.complete ? Buffer.concat(chunks) : 'aborted'));
  });
}
