/**
 * The SSH transport against a real OpenSSH server (test/helpers/sshd.ts) on 127.0.0.1:
 * commands, stdin secrets, atomic put, get, one-round-trip hashing, authentication and host
 * key failures, bounded connect failures, a connection killed mid-command, concurrency.
 */
import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostError } from '../../src/errors.js';
import { REDACTED, shJoin } from '../../src/transport/quote.js';
import { connectSsh, type SshTransport } from '../../src/transport/ssh-transport.js';
import { mapLimit } from '../../src/transport/limiter.js';
import { freePort } from '../helpers/ports.js';
import { authorize, keygen, startSshd, writeKnownHosts, type TestSshd } from '../helpers/sshd.js';

let sshd: TestSshd;
let t: SshTransport;
const scratch = mkdtempSync(join(tmpdir(), 'cairn-ssh-it-'));

test.before(async () => {
  sshd = await startSshd({ hostKeyTypes: ['ed25519', 'rsa'] });
  writeKnownHosts(join(sshd.dir, 'known_hosts'), sshd.knownHostsLines());
  t = await connectSsh(sshd.host());
});

test.after.always(async () => {
  await t?.close();
  await sshd?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** Expects `p` to reject with a HostError and returns it with how long it took. */
async function rejection(p: Promise<unknown>): Promise<{ err: HostError; ms: number }> {
  const start = Date.now();
  try {
    await p;
  } catch (e) {
    if (!(e instanceof HostError)) throw e;
    return { err: e, ms: Date.now() - start };
  }
  throw new Error('expected a HostError, got success');
}

test('run returns exit code, stdout and stderr; a non-zero exit does not throw', async (t2) => {
  const r = await t.run({ argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
  t2.deepEqual(r, { code: 3, stdout: 'out\n', stderr: 'err\n' });
});

test('argv survives the remote shell byte for byte (quotes, spaces, newlines, empty, $, globs), also through sudo', async (t2) => {
  const args = ['a b', "it's", '', '$HOME', 'x\ny', '*', '"q"', '\\', ';rm -rf /tmp/nothing', "'\\''"];
  const r = await t.run({ argv: ['printf', '[%s]\\n', ...args] });
  t2.is(r.code, 0);
  t2.is(r.stdout, args.map((a) => `[${a}]\n`).join(''));
  const viaSudo = await connectSsh(sshd.host({ sudo: true }));
  try {
    const s = await viaSudo.run({ argv: ['printf', '[%s]\\n', ...args], timeoutMs: 10000 });
    t2.is(s.stdout, r.stdout, 'the same through sudo -n -- sh -c and timeout');
  } finally {
    await viaSudo.close();
  }
});

test('a secret on stdin reaches the command and is in no process argv on the host (plain and through sudo)', async (t2) => {
  const secret = `S3cr3t-${randomBytes(8).toString('hex')}`;
  // While the secret is being read, dump every process's command line on the machine (sshd
  // runs on this same machine, so this is what `ps` would show anyone).
  const script = 'IFS= read -r s; printf "%s" "$s" | sha256sum; echo SELF; tr "\\0" " " < /proc/$$/cmdline; echo; echo ALL; for f in /proc/[0-9]*/cmdline; do tr "\\0" " " < "$f" 2>/dev/null; echo; done';
  for (const sudo of [false, true]) {
    const tr = sudo ? await connectSsh(sshd.host({ sudo: true })) : t;
    try {
      const r = await tr.run({ argv: ['sh', '-c', script], stdin: `${secret}\n`, secrets: [secret] });
      t2.is(r.code, 0, r.stderr);
      t2.true(r.stdout.startsWith(sha256(secret)), 'the command received the secret on stdin');
      t2.true(r.stdout.includes('SELF\nsh -c '), 'printed its own cmdline');
      if (sudo) t2.regex(r.stdout, /sudo -n -- sh -c/);
      t2.false(r.stdout.includes(secret), `secret visible in a process argv (sudo=${sudo})`);
    } finally {
      if (sudo) await tr.close();
    }
  }
});

test('a secret in argv is refused before anything is sent; logs and errors redact secrets', async (t2) => {
  const secret = `pw-${randomBytes(6).toString('hex')}`;
  const lines: string[] = [];
  const logged = await connectSsh(sshd.host(), { log: (l) => lines.push(l) });
  try {
    await t2.throwsAsync(logged.run({ argv: ['echo', secret], secrets: [secret] }), { message: /bug: a secret value is on the command line/ });
    t2.is(logged.channelsOpened, 0, 'no channel was opened');
    const r = await logged.run({ argv: ['sh', '-c', 'cat >&2; exit 1'], stdin: secret, secrets: [secret] });
    t2.is(r.stderr, secret, 'the caller still gets the real output');
    t2.true(lines.some((l) => l.includes(REDACTED)), lines.join('\n'));
    t2.false(lines.join('\n').includes(secret));
  } finally {
    await logged.close();
  }
});

test('sudo: commands run as sudo -n -- sh -c <the quoted argv>', async (t2) => {
  const tr = await connectSsh(sshd.host({ sudo: true }));
  try {
    // Print the command line of every ancestor, then the uid.
    const script = 'p=$$; while [ "$p" -gt 1 ]; do tr "\\0" " " < /proc/$p/cmdline; echo; p=$(cut -d" " -f4 /proc/$p/stat); done; id -u';
    const r = await tr.run({ argv: ['sh', '-c', script] });
    t2.is(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    t2.is(lines[lines.length - 2], '0');
    t2.true(lines.includes(`sudo -n -- sh -c ${shJoin(['sh', '-c', script])} `), r.stdout);
  } finally {
    await tr.close();
  }
});

test('put writes atomically (new inode, no temp left), creates parents, sets mode and owner', async (t2) => {
  const dir = join(scratch, 'put', 'a', 'b');
  const path = join(dir, 'c.conf');
  await t.put(path, 'first\n', { mode: '0640', owner: 'nobody', group: 'nogroup' });
  const s1 = statSync(path);
  t2.is(readFileSync(path, 'utf8'), 'first\n');
  t2.is(s1.mode & 0o7777, 0o640);
  t2.is(s1.uid, Number(execFileSync('id', ['-u', 'nobody']).toString()));
  t2.is(s1.gid, Number(execFileSync('getent', ['group', 'nogroup']).toString().split(':')[2]));

  await t.put(path, 'second\n', { mode: '600', owner: 'root', group: 'root' });
  const s2 = statSync(path);
  t2.is(readFileSync(path, 'utf8'), 'second\n');
  t2.is(s2.mode & 0o7777, 0o600);
  t2.is(s2.uid, 0);
  t2.not(s2.ino, s1.ino, 'replaced by rename, not rewritten in place');
  t2.deepEqual(readdirSync(dir), ['c.conf']);

  // A put that fails (unknown owner) leaves the old file as it was and no temp file.
  const { err } = await rejection(t.put(path, 'third\n', { mode: '0644', owner: 'no-such-user-cairn', group: 'root' }));
  t2.is(err.phase, 'put');
  t2.regex(err.message, new RegExp(`^host ${t.host}: cannot write ${path} .*exit code 1: .*no-such-user-cairn`, 's'));
  t2.is(readFileSync(path, 'utf8'), 'second\n');
  t2.deepEqual(readdirSync(dir), ['c.conf']);
});

test('put and get round-trip binary content; get of an absent file is undefined; of a directory throws', async (t2) => {
  const bytes = Buffer.from(Array.from({ length: 256 * 64 }, (_, i) => i % 256));
  const path = join(scratch, 'bin', 'all-bytes');
  await t.put(path, bytes, { mode: '0644', owner: 'root', group: 'root' });
  t2.true(readFileSync(path).equals(bytes));
  const got = await t.get(path);
  t2.true(got?.equals(bytes));
  t2.is(await t.get(join(scratch, 'bin', 'absent')), undefined);
  const { err } = await rejection(t.get(join(scratch, 'bin')));
  t2.is(err.phase, 'get');
  t2.regex(err.message, /Is a directory/);
});

test('hashFiles hashes 20 paths (3 absent, names with spaces) in ONE exec channel', async (t2) => {
  const dir = join(scratch, 'hash dir');
  mkdirSync(dir);
  const paths: string[] = [];
  const expected = new Map<string, string | undefined>();
  for (let i = 0; i < 20; i++) {
    const p = join(dir, `file ${i}.conf`);
    paths.push(p);
    if (i % 7 === 3) {
      expected.set(p, undefined);
      continue;
    }
    const content = randomBytes(100 + i * 50);
    writeFileSync(p, content);
    expected.set(p, sha256(content));
  }
  const own = await connectSsh(sshd.host()); // its own connection: a clean channel count
  const got = await own.hashFiles(paths);
  t2.is(own.channelsOpened, 1);
  await own.close();
  t2.deepEqual([...got.entries()], [...expected.entries()]);
  t2.is([...got.values()].filter((v) => v === undefined).length, 3);
});

test('a wrong key is refused with a clear message naming user, address, port and key', async (t2) => {
  const other = keygen(mkdtempSync(join(scratch, 'k-')), 'not_authorized');
  const host = sshd.host({ ssh: { keyFile: other.path } });
  const { err } = await rejection(connectSsh(host));
  t2.is(err.phase, 'auth');
  t2.is(err.exitCode, 1);
  t2.is(err.message, `host ${host.name}: authentication failed for root@127.0.0.1:${sshd.port} with key ${other.path}`);
});

test('an RSA key works; a missing key file and a passphrase-protected key fail clearly', async (t2) => {
  const dir = mkdtempSync(join(scratch, 'k-'));
  const rsa = keygen(dir, 'client_rsa', 'rsa');
  authorize(sshd, rsa.publicLine);
  const tr = await connectSsh(sshd.host({ ssh: { keyFile: rsa.path } }));
  t2.is((await tr.run({ argv: ['echo', 'rsa ok'] })).stdout, 'rsa ok\n');
  await tr.close();

  const missing = await rejection(connectSsh(sshd.host({ ssh: { keyFile: join(dir, 'nope') } })));
  t2.is(missing.err.message, `host sshd-${sshd.port}: cannot read SSH key ${join(dir, 'nope')}: no such file or directory`);

  const locked = keygen(dir, 'locked', 'ed25519', 'a passphrase');
  const enc = await rejection(connectSsh(sshd.host({ ssh: { keyFile: locked.path } })));
  t2.is(enc.err.phase, 'auth');
  t2.regex(enc.err.message, /is protected by a passphrase: load it into ssh-agent/);
});

test('without a key file the keys in ssh-agent are used', async (t2) => {
  const dir = mkdtempSync(join(scratch, 'agent-'));
  const sock = join(dir, 'agent.sock');
  const agent = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'ssh-agent', '-D', '-a', sock], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
    execFileSync('ssh-add', [sshd.clientKey.path], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
    const host = sshd.host();
    delete (host.ssh as { keyFile?: string }).keyFile;
    const tr = await connectSsh(host, { agentSocket: sock });
    t2.is((await tr.run({ argv: ['echo', 'agent ok'] })).stdout, 'agent ok\n');
    await tr.close();
    const empty = await rejection(connectSsh(host, { agentSocket: join(dir, 'absent.sock') }));
    t2.regex(empty.err.message, /ssh-agent socket .*absent\.sock \(SSH_AUTH_SOCK\) does not exist/);
  } finally {
    agent.kill('SIGTERM');
  }
});

test('an unknown host key is refused, showing the fingerprint ssh-keygen -lf shows', async (t2) => {
  const kh = join(mkdtempSync(join(scratch, 'kh-')), 'known_hosts');
  writeKnownHosts(kh, ['# nothing yet']);
  const { err } = await rejection(connectSsh(sshd.host({ knownHostsFile: kh })));
  t2.is(err.phase, 'host-key');
  const ed = sshd.hostKeys.find((k) => k.type === 'ssh-ed25519');
  const fp = execFileSync('ssh-keygen', ['-lf', ed?.pubPath ?? '']).toString().split(' ')[1] ?? '';
  t2.regex(fp, /^SHA256:[A-Za-z0-9+/]{43}$/);
  t2.true(err.message.includes(`ED25519 key fingerprint is ${fp}`), err.message);
  t2.true(err.message.includes(`not in ${kh}`));
  t2.true(err.message.includes('--trust-new-hosts'));
});

test('--trust-new-hosts records the key in a form OpenSSH finds; the next connection needs no trust', async (t2) => {
  const dir = mkdtempSync(join(scratch, 'tofu-'));
  const kh = join(dir, 'sub', 'known_hosts'); // directory does not exist yet
  const logs: string[] = [];
  const tr = await connectSsh(sshd.host({ knownHostsFile: kh }), { trustNewHosts: true, log: (l) => logs.push(l) });
  await tr.close();
  const ed = sshd.hostKeys.find((k) => k.type === 'ssh-ed25519');
  t2.is(readFileSync(kh, 'utf8'), `[127.0.0.1]:${sshd.port} ssh-ed25519 ${ed?.blob.toString('base64')}\n`);
  t2.is(statSync(kh).mode & 0o777, 0o600);
  t2.true(logs.some((l) => l.includes('trusted new ED25519 host key')));
  const found = execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', kh]).toString();
  t2.true(found.includes('ssh-ed25519'));
  const again = await connectSsh(sshd.host({ knownHostsFile: kh }));
  await again.close();
  t2.is(readFileSync(kh, 'utf8').split('\n').length, 2, 'nothing appended the second time');
});

test('a CHANGED host key is refused even with --trust-new-hosts, naming the file and line', async (t2) => {
  const dir = mkdtempSync(join(scratch, 'changed-'));
  const kh = join(dir, 'known_hosts');
  const impostor = keygen(dir, 'old_host_key');
  writeKnownHosts(kh, ['# the host as it was', `[127.0.0.1]:${sshd.port} ${impostor.type} ${impostor.blob.toString('base64')}`]);
  const before = readFileSync(kh, 'utf8');
  const { err } = await rejection(connectSsh(sshd.host({ knownHostsFile: kh }), { trustNewHosts: true }));
  t2.is(err.phase, 'host-key');
  t2.true(err.message.includes(`HOST KEY CHANGED for [127.0.0.1]:${sshd.port}: ${kh}:2 records a different ssh-ed25519 key`), err.message);
  t2.true(err.message.includes('--trust-new-hosts never accepts a changed key'));
  t2.is(readFileSync(kh, 'utf8'), before, 'known_hosts untouched');
});

test('a host recorded by a key type it no longer offers is CHANGED, both fingerprints shown, refused with --trust-new-hosts', async (t2) => {
  const dir = mkdtempSync(join(scratch, 'type-changed-'));
  const kh = join(dir, 'known_hosts');
  // The host was known by an ECDSA key; the test sshd has no ECDSA key, so it offers ED25519.
  const old = keygen(dir, 'old_ecdsa_host_key', 'ecdsa');
  writeKnownHosts(kh, [`[127.0.0.1]:${sshd.port} ${old.type} ${old.blob.toString('base64')}`]);
  const before = readFileSync(kh, 'utf8');
  const { err } = await rejection(connectSsh(sshd.host({ knownHostsFile: kh }), { trustNewHosts: true }));
  t2.is(err.phase, 'host-key');
  const oldFp = execFileSync('ssh-keygen', ['-lf', old.pubPath]).toString().split(' ')[1] ?? '';
  const ed = sshd.hostKeys.find((k) => k.type === 'ssh-ed25519');
  const newFp = execFileSync('ssh-keygen', ['-lf', ed?.pubPath ?? '']).toString().split(' ')[1] ?? '';
  t2.true(err.message.includes(`HOST KEY CHANGED for [127.0.0.1]:${sshd.port}: ${kh}:1 records its ${old.type} key (${oldFp})`), err.message);
  t2.true(err.message.includes(`ssh-ed25519 key ${newFp}`), err.message);
  t2.is(readFileSync(kh, 'utf8'), before, 'known_hosts untouched');
});

test('--trust-new-hosts without recording (a dry run) connects and writes no known_hosts', async (t2) => {
  const dir = mkdtempSync(join(scratch, 'dry-tofu-'));
  const kh = join(dir, 'sub', 'known_hosts');
  const logs: string[] = [];
  const tr = await connectSsh(sshd.host({ knownHostsFile: kh }), { trustNewHosts: true, recordNewHosts: false, log: (l) => logs.push(l) });
  t2.is((await tr.run({ argv: ['true'] })).code, 0);
  await tr.close();
  t2.deepEqual(readdirSync(dir), [], 'neither the file nor its directory was created');
  t2.true(logs.some((l) => l.includes('for this run only')));
});

test('hashed known_hosts entries (ssh-keygen -H) are honoured', async (t2) => {
  const kh = join(mkdtempSync(join(scratch, 'hashed-')), 'known_hosts');
  writeKnownHosts(kh, sshd.knownHostsLines());
  execFileSync('ssh-keygen', ['-H', '-f', kh], { stdio: 'ignore' });
  const text = readFileSync(kh, 'utf8');
  t2.false(text.includes('127.0.0.1'), 'names are hashed');
  t2.regex(text, /^\|1\|/m);
  const tr = await connectSsh(sshd.host({ knownHostsFile: kh }));
  t2.is((await tr.run({ argv: ['true'] })).code, 0);
  await tr.close();
});

test('a host known only by its RSA key is asked for that key (not refused for its unknown ed25519 one)', async (t2) => {
  const kh = join(mkdtempSync(join(scratch, 'rsa-only-')), 'known_hosts');
  writeKnownHosts(kh, sshd.knownHostsLines().filter((l) => l.includes(' ssh-rsa ')));
  const tr = await connectSsh(sshd.host({ knownHostsFile: kh }));
  t2.is((await tr.run({ argv: ['true'] })).code, 0);
  await tr.close();
});

/** A port nothing listens on. */
const closedPort = freePort;

test('connection refused fails fast with a clear message', async (t2) => {
  const port = await closedPort();
  const host = sshd.host({ ssh: { port } });
  const { err, ms } = await rejection(connectSsh(host, { readyTimeoutMs: 3000 }));
  t2.is(err.phase, 'connect');
  t2.is(err.message, `host ${host.name}: cannot connect to root@127.0.0.1:${port}: connection refused (is sshd running and listening on that port?)`);
  t2.true(ms < 5000, `took ${ms} ms`);
});

test('a server that accepts but never speaks SSH times out within the bound', async (t2) => {
  const sockets: Socket[] = [];
  const silent: Server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const addr = silent.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  try {
    const { err, ms } = await rejection(connectSsh(sshd.host({ ssh: { port } }), { readyTimeoutMs: 1500 }));
    t2.is(err.phase, 'connect');
    t2.regex(err.message, new RegExp(`cannot connect to root@127\\.0\\.0\\.1:${port}: no SSH handshake within 1500 ms \\(timed out\\)$`));
    t2.true(ms >= 1400 && ms < 5000, `took ${ms} ms`);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  }
});

test('a per-command timeout kills the command and leaves the connection usable', async (t2) => {
  const marker = `cairn-timeout-${randomBytes(4).toString('hex')}`;
  const { err, ms } = await rejection(t.run({ argv: ['sh', '-c', `sleep 31; : ${marker}`], timeoutMs: 500 }));
  t2.is(err.phase, 'run');
  t2.regex(err.message, /command timed out after 500 ms and was killed: sh -c 'sleep 31; : cairn-timeout-/);
  t2.true(ms < 3000, `took ${ms} ms`);
  t2.is((await t.run({ argv: ['echo', 'still here'] })).stdout, 'still here\n');
  // The remote command was killed (SSH 'signal' request, then channel close), not left running.
  let alive = true;
  for (let i = 0; i < 40 && alive; i++) {
    alive = sshd.descendants().some((p) => {
      try {
        const cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8');
        return cmdline.includes(marker) || cmdline === 'sleep\u000031\u0000';
      } catch {
        return false;
      }
    });
    if (alive) await new Promise((r) => setTimeout(r, 50));
  }
  t2.false(alive, 'the timed-out command is still running on the host');
});

test('many concurrent runs on one connection all succeed (more than sshd MaxSessions=10)', async (t2) => {
  const own = await connectSsh(sshd.host());
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => own.run({ argv: ['sh', '-c', `sleep 0.1; echo ${i}`] })));
  await own.close();
  t2.deepEqual(
    results.map((r) => r.stdout),
    Array.from({ length: 40 }, (_, i) => `${i}\n`),
  );
  t2.is(own.channelsOpened, 40);
});

test('200 instant commands on one connection each report their exit status (none lost in a packet batch)', async (t2) => {
  const own = await connectSsh(sshd.host());
  try {
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => own.run({ argv: ['sh', '-c', `exit ${i % 3}`] })));
    t2.deepEqual(
      results.map((r) => r.code),
      Array.from({ length: 200 }, (_, i) => i % 3),
    );
  } finally {
    await own.close();
  }
});

test('a server allowing fewer sessions (MaxSessions 2) than our channel limit: the limit adapts, nothing fails', async (t2) => {
  const small = await startSshd({ extraConfig: ['MaxSessions 2'] });
  try {
    writeKnownHosts(join(small.dir, 'known_hosts'), small.knownHostsLines());
    const own = await connectSsh(small.host(), { maxChannels: 8 });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => own.run({ argv: ['sh', '-c', `sleep 0.05; echo ${i}`] })));
    t2.deepEqual(
      results.map((r) => r.stdout),
      Array.from({ length: 30 }, (_, i) => `${i}\n`),
    );
    t2.true(own.channelLimit <= 2, `limit is ${own.channelLimit}`);
    t2.true(own.channelsRefused > 0, 'some opens were refused and retried');
    t2.is(own.channelsOpened, 30);
    await own.close();
  } finally {
    await small.stop();
  }
});

test.serial('a connection killed mid-command yields a HostError naming the host; later calls fail fast', async (t2) => {
  // Its own server, so killing its connections cannot disturb the other tests.
  const own = await startSshd();
  try {
    writeKnownHosts(join(own.dir, 'known_hosts'), own.knownHostsLines());
    const host = own.host();
    const tr = await connectSsh(host, { keepaliveIntervalMs: 1000 });
    const marker = `cairn-drop-${randomBytes(4).toString('hex')}`;
    const running = tr.run({ argv: ['sh', '-c', `sleep 30; : ${marker}`] });
    running.catch(() => {});
    // Wait until the command is really running on the server, then kill its connection.
    for (let i = 0; i < 100; i++) {
      const cmdlines = own.descendants().map((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8');
        } catch {
          return '';
        }
      });
      if (cmdlines.some((c) => c.includes(marker))) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    own.killConnections();
    const { err, ms } = await rejection(running);
    t2.is(err.host, host.name);
    t2.is(err.phase, 'run');
    t2.regex(err.message, new RegExp(`^host ${host.name}: connection to root@127\\.0\\.0\\.1:${own.port} lost.* while running: sh -c`));
    t2.true(ms < 5000, `took ${ms} ms`);
    t2.false(tr.connected);
    const later = await rejection(tr.run({ argv: ['true'] }));
    t2.regex(later.err.message, /lost.*cannot run: true$/);
    await tr.close();
  } finally {
    await own.stop();
  }
});

test.serial('a host that stops answering (its sshd frozen) is detected by keepalives; the command fails with HostError', async (t2) => {
  const own = await startSshd();
  try {
    writeKnownHosts(join(own.dir, 'known_hosts'), own.knownHostsLines());
    const host = own.host();
    const tr = await connectSsh(host, { keepaliveIntervalMs: 300, keepaliveCountMax: 2 });
    const running = tr.run({ argv: ['sleep', '30'] });
    running.catch(() => {});
    await new Promise((r) => setTimeout(r, 300));
    const frozen = own.descendants();
    for (const p of frozen) process.kill(p, 'SIGSTOP');
    try {
      const { err, ms } = await rejection(running);
      t2.is(err.phase, 'run');
      t2.regex(err.message, new RegExp(`^host ${host.name}: connection to root@127\\.0\\.0\\.1:${own.port} lost \\(Keepalive timeout\\) while running: sleep 30$`));
      t2.true(ms < 5000, `took ${ms} ms`);
    } finally {
      for (const p of frozen) {
        try {
          process.kill(p, 'SIGCONT');
        } catch {
          // gone
        }
      }
    }
    await tr.close();
  } finally {
    await own.stop();
  }
});

test('close() ends the connection; later calls throw HostError(closed); close is idempotent', async (t2) => {
  const tr = await connectSsh(sshd.host());
  await tr.close();
  await tr.close();
  const { err } = await rejection(tr.run({ argv: ['true'] }));
  t2.is(err.phase, 'closed');
});

test('connecting hosts with bounded parallelism (as apply does) keeps each failure per host', async (t2) => {
  const refused = await closedPort();
  const stranger = keygen(mkdtempSync(join(scratch, 'pool-')), 'stranger');
  const hosts = [
    sshd.host({ name: 'good-1' }),
    sshd.host({ name: 'refused', ssh: { port: refused } }),
    sshd.host({ name: 'good-2' }),
    sshd.host({ name: 'bad-key', ssh: { keyFile: stranger.path } }),
    sshd.host({ name: 'good-3' }),
  ];
  let active = 0;
  let peak = 0;
  const results = await mapLimit(hosts, 2, async (h) => {
    active++;
    peak = Math.max(peak, active);
    try {
      return { host: h.name, ok: true as const, tr: await connectSsh(h, { readyTimeoutMs: 3000 }) };
    } catch (error) {
      return { host: h.name, ok: false as const, error: error as Error };
    } finally {
      active--;
    }
  });
  const open = results.flatMap((r) => (r.ok ? [r.tr] : []));
  try {
    t2.is(peak, 2);
    t2.deepEqual(
      results.map((r) => [r.host, r.ok ? 'ok' : ((r.error as HostError).phase ?? 'other')]),
      [
        ['good-1', 'ok'],
        ['refused', 'connect'],
        ['good-2', 'ok'],
        ['bad-key', 'auth'],
        ['good-3', 'ok'],
      ],
    );
    const out = await Promise.all(results.map(async (r) => (r.ok ? (await r.tr.run({ argv: ['echo', r.tr.host] })).stdout.trim() : r.error.message.split(':')[0])));
    t2.deepEqual(out, ['good-1', 'host refused', 'good-2', 'host bad-key', 'good-3']);
  } finally {
    await Promise.all(open.map((tr) => tr.close()));
  }
  t2.false(open.some((tr) => tr.connected));
});
