/** LocalTransport: the same interface on this machine, through real processes (no shell for argv). */
import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostError } from '../../src/errors.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { shJoin } from '../../src/transport/quote.js';

const dir = mkdtempSync(join(tmpdir(), 'cairn-local-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

test('run: exit code, stdout, stderr, stdin; argv is not parsed by a shell', async (t) => {
  const tr = new LocalTransport();
  t.deepEqual(await tr.run({ argv: ['sh', '-c', 'cat; echo e >&2; exit 4'], stdin: 'in\n' }), { code: 4, stdout: 'in\n', stderr: 'e\n' });
  t.deepEqual(await tr.run({ argv: ['printf', '%s|', '$HOME', 'a b', ''] }), { code: 0, stdout: '$HOME|a b||', stderr: '' });
  const missing = await tr.run({ argv: ['/no/such/program'] });
  t.is(missing.code, 127);
  t.regex(missing.stderr, /ENOENT/);
});

test('put/get/hashFiles use the same scripts as SSH: atomic, mode, owner, parents, absent', async (t) => {
  const tr = new LocalTransport({ name: 'ctl' });
  const p = join(dir, 'x', 'y', 'f.conf');
  await tr.put(p, 'one', { mode: '0640', owner: 'root', group: 'root' });
  const ino = statSync(p).ino;
  await tr.put(p, 'two', { mode: '0600', owner: 'root', group: 'root' });
  t.is(readFileSync(p, 'utf8'), 'two');
  t.is(statSync(p).mode & 0o7777, 0o600);
  t.not(statSync(p).ino, ino);
  t.deepEqual(readdirSync(join(dir, 'x', 'y')), ['f.conf']);
  t.is((await tr.get(p))?.toString(), 'two');
  t.is(await tr.get(join(dir, 'absent')), undefined);
  const bytes = randomBytes(5000);
  writeFileSync(join(dir, 'b'), bytes);
  const hashes = await tr.hashFiles([p, join(dir, 'absent'), join(dir, 'b')]);
  t.deepEqual([...hashes.entries()], [
    [p, sha256('two')],
    [join(dir, 'absent'), undefined],
    [join(dir, 'b'), sha256(bytes)],
  ]);
  t.deepEqual(await tr.hashFiles([]), new Map());
  t.is(tr.commandsRun, 5, 'one command per put/get/hashFiles, none for an empty hash list');
});

test('hashFiles: names sha256sum escapes (backslash) still map to the right hash; a directory fails the call', async (t) => {
  const tr = new LocalTransport({ name: 'ctl' });
  const odd = join(dir, 'back\\slash name');
  const plain = join(dir, 'plain');
  writeFileSync(odd, 'odd');
  writeFileSync(plain, 'plain');
  const h = await tr.hashFiles([odd, join(dir, 'nope'), plain]);
  t.deepEqual([...h.values()], [sha256('odd'), undefined, sha256('plain')]);
  const err = await t.throwsAsync(tr.hashFiles([plain, dir]), { instanceOf: HostError });
  t.is(err?.phase, 'hash');
  t.regex(err?.message ?? '', /^host ctl: cannot hash 2 files: exit code 1: .*Is a directory/);
});

test('bad paths, modes and owners are bugs caught before running anything', async (t) => {
  const tr = new LocalTransport();
  await t.throwsAsync(tr.put('relative', 'x', { mode: '0644', owner: 'root', group: 'root' }), { message: /not absolute/ });
  await t.throwsAsync(tr.put('/tmp/x', 'x', { mode: 'rw-r--r--', owner: 'root', group: 'root' }), { message: /not octal/ });
  await t.throwsAsync(tr.put('/tmp/x', 'x', { mode: '0644', owner: 'root;rm', group: 'root' }), { message: /not a user or group name/ });
  await t.throwsAsync(tr.hashFiles(['/tmp/a\nb']), { message: /newline/ });
  t.is(tr.commandsRun, 0);
});

test('a timeout kills the command and its children and throws HostError', async (t) => {
  const tr = new LocalTransport({ name: 'ctl' });
  const marker = join(dir, `child-${randomBytes(3).toString('hex')}`);
  const start = Date.now();
  const err = await t.throwsAsync(tr.run({ argv: ['sh', '-c', `(sleep 1; touch ${marker}) & sleep 30`], timeoutMs: 300 }), { instanceOf: HostError });
  t.is(err?.phase, 'run');
  t.regex(err?.message ?? '', /^host ctl: command timed out after 300 ms and was killed: sh -c /);
  t.true(Date.now() - start < 3000);
  await new Promise((r) => setTimeout(r, 1500));
  t.throws(() => statSync(marker), undefined, 'the background child was killed with its group');
});

test('sudo: commands go through sudo -n (as root here it just runs)', async (t) => {
  const tr = new LocalTransport({ sudo: true });
  const script = 'p=$$; while [ "$p" -gt 1 ]; do tr "\\0" " " < /proc/$p/cmdline; echo; p=$(cut -d" " -f4 /proc/$p/stat); done; id -u';
  const r = await tr.run({ argv: ['sh', '-c', script] });
  t.is(r.code, 0, r.stderr);
  t.true(r.stdout.split('\n').includes(`sudo -n -- sh -c ${shJoin(['sh', '-c', script])} `), r.stdout);
  t.true(r.stdout.endsWith('\n0\n'));
});

test('after close() calls throw HostError(closed)', async (t) => {
  const tr = new LocalTransport();
  await tr.close();
  const err = await t.throwsAsync(tr.run({ argv: ['true'] }), { instanceOf: HostError });
  t.is(err?.phase, 'closed');
});
