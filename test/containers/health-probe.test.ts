/**
 * The RPC health probe run for real with python3: healthy only while a process it can see holds
 * an established connection to the port (here this test's own socket to a local listener).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { amqpHealthTest } from '../../src/containers/desired.js';

/** Runs the probe's python (argv after CMD) and resolves its exit code and output. */
function runProbe(port: number): Promise<{ code: number; out: string }> {
  const [, exe, ...args] = amqpHealthTest(port);
  return new Promise((resolve) => {
    execFile(exe!, args, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }));
  });
}

test('amqp probe: unhealthy with no connection to the port, healthy while one is open, unhealthy again after it closes', async (t) => {
  const accepted: Socket[] = [];
  const server = createServer((s) => accepted.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const before = await runProbe(port);
    t.is(before.code, 1, before.out);
    t.regex(before.out, new RegExp(`no connection to port ${port}`));

    const client = createConnection(port, '127.0.0.1');
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    const during = await runProbe(port);
    t.is(during.code, 0, during.out);

    client.destroy();
    for (const s of accepted) s.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const after = await runProbe(port);
    t.is(after.code, 1, after.out);
  } finally {
    server.close();
  }
});
