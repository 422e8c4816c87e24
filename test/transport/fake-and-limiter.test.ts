/** The scripted fake (for later stages' unit tests) and the limiter, with no host. */
import test from 'ava';
import { createHash } from 'node:crypto';
import { HostError } from '../../src/errors.js';
import { transportError } from '../../src/transport/errors.js';
import { FakeTransport } from '../../src/transport/fake-transport.js';
import { Limiter, mapLimit } from '../../src/transport/limiter.js';

test('FakeTransport answers from its table, records calls, and refuses unscripted commands', async (t) => {
  const f = new FakeTransport('ctl')
    .on('systemctl is-active nova-api', { stdout: 'active\n' })
    .on(/^dpkg-query /, { code: 1, stderr: 'not installed' }, 1)
    .on(/^dpkg-query /, { stdout: 'ii' })
    .on((argv) => argv[0] === 'boom', transportError('ctl', 'run', 'connection lost'));
  t.deepEqual(await f.run({ argv: ['systemctl', 'is-active', 'nova-api'] }), { code: 0, stdout: 'active\n', stderr: '' });
  t.is((await f.run({ argv: ['dpkg-query', '-W', 'nova-api'] })).code, 1);
  t.is((await f.run({ argv: ['dpkg-query', '-W', 'nova-api'] })).stdout, 'ii', 'the first answer was used up');
  await t.throwsAsync(f.run({ argv: ['boom'] }), { instanceOf: HostError });
  await t.throwsAsync(f.run({ argv: ['rm', '-rf', '/'] }), { message: "FakeTransport(ctl): no scripted answer for: rm -rf /" });
  await t.throwsAsync(f.run({ argv: ['echo', 'pw'], secrets: ['pw'] }), { message: /bug: a secret value/ });
  t.deepEqual(f.commands, ['systemctl is-active nova-api', 'dpkg-query -W nova-api', 'dpkg-query -W nova-api', 'boom', 'rm -rf /']);
  t.deepEqual(await new FakeTransport('h', false).run({ argv: ['anything'] }), { code: 0, stdout: '', stderr: '' });
});

test('FakeTransport files: put, get, hashFiles, close', async (t) => {
  const f = new FakeTransport().seedFile('/etc/a', 'A');
  await f.put('/etc/b', 'B', { mode: '0600', owner: 'nova', group: 'nova' });
  t.is((await f.get('/etc/b'))?.toString(), 'B');
  t.is(await f.get('/etc/c'), undefined);
  t.deepEqual(f.files.get('/etc/b')?.mode, '0600');
  const h = await f.hashFiles(['/etc/a', '/etc/c']);
  t.deepEqual([...h.entries()], [
    ['/etc/a', createHash('sha256').update('A').digest('hex')],
    ['/etc/c', undefined],
  ]);
  await f.close();
  await t.throwsAsync(f.get('/etc/a'), { instanceOf: HostError });
  t.deepEqual(
    f.calls.map((c) => c.op),
    ['put', 'get', 'get', 'hashFiles', 'close'],
  );
});

test('Limiter never exceeds its limit, also when lowered while tasks run', async (t) => {
  const l = new Limiter(4);
  let active = 0;
  let peak = 0;
  let peakAfterLower = 0;
  let lowered = false;
  const task = async (i: number): Promise<number> => {
    active++;
    peak = Math.max(peak, active);
    if (lowered) peakAfterLower = Math.max(peakAfterLower, active);
    await new Promise((r) => setTimeout(r, 5 + (i % 3)));
    active--;
    return i;
  };
  const first = Array.from({ length: 20 }, (_, i) => l.run(() => task(i)));
  await new Promise((r) => setTimeout(r, 12));
  l.lowerTo(2);
  // Tasks started after lowering see at most 2 at once, once the earlier ones drained.
  await Promise.all(first);
  lowered = true;
  t.deepEqual(await Promise.all(Array.from({ length: 20 }, (_, i) => l.run(() => task(i)))), Array.from({ length: 20 }, (_, i) => i));
  t.is(peak, 4);
  t.is(peakAfterLower, 2);
  t.is(l.limit, 2);
  t.throws(() => new Limiter(0), { message: /positive integer/ });
  t.deepEqual(await mapLimit([3, 1, 2], 2, async (x) => x * 10), [30, 10, 20]);
});
