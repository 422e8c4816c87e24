/** Loopback ports for tests. */
import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that nothing listens on right now (bound, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}
