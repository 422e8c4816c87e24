/**
 * `cairn ssh-copy-id` against a real sshd with real password authentication: the server runs
 * in a private mount namespace where a throwaway user with a known password exists (see
 * test/helpers/sshd.ts); no account of this machine is touched. Also: the password prompt on
 * a real pseudo-terminal (util-linux `script`) with echo off, and sudo -n wanting a password.
 */
import test from 'ava';
import { Command } from 'commander';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CairnError, HostError } from '../../src/errors.js';
import { registerSshCopyIdCommand } from '../../src/cli/ssh-copy-id-command.js';
import { installKeyArgv } from '../../src/deploy/ssh-copy-id.js';
import { connectSsh } from '../../src/transport/ssh-transport.js';
import { keygen, startSshd, type KeyPair, type TestSshd } from '../helpers/sshd.js';
import { repoRoot } from '../helpers/paths.js';

const USER = 'cairn-copyid';
const PASSWORD = `pw-${randomBytes(9).toString('base64url')}`;
let sshd: TestSshd;
let work: string;
let deployKey: KeyPair;

test.before(async () => {
  sshd = await startSshd({ passwordUser: { name: USER, password: PASSWORD } });
  work = mkdtempSync(join(tmpdir(), 'cairn-copyid-'));
  deployKey = keygen(work, 'deploy_key');
});

test.after.always(async () => {
  await sshd?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A fresh answer file + inventory for the one host, with its own known_hosts. */
function files(name: string): { answer: string; inventory: string; knownHosts: string } {
  const dir = join(work, name);
  mkdirSync(dir);
  const answer = join(dir, 'answers.ini');
  writeFileSync(answer, '[general]\nCONFIG_DEFAULT_PASSWORD=secret\nCONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS=physnet1:br-ex\nCONFIG_NEUTRON_OVS_BRIDGE_IFACES=br-ex:eth1\n');
  const inventory = join(dir, 'inventory.yml');
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(
    inventory,
    [
      'defaults:',
      `  ssh_user: ${USER}`,
      `  ssh_port: ${sshd.port}`,
      `  ssh_key: ${deployKey.path}`,
      `  known_hosts: ${knownHosts}`,
      'hosts:',
      '  node1:',
      '    address: 127.0.0.1',
      'groups:',
      '  control: [node1]',
      '  network: [node1]',
      '  compute: [node1]',
      '',
    ].join('\n'),
  );
  return { answer, inventory, knownHosts };
}

interface Run {
  out: string[];
  err: string[];
  prompts: string[];
  error?: unknown;
}

async function copyId(args: string[], password: string = PASSWORD): Promise<Run> {
  const run: Run = { out: [], err: [], prompts: [] };
  const program = new Command('cairn').exitOverride();
  registerSshCopyIdCommand(program, {
    out: (l) => run.out.push(l),
    err: (l) => run.err.push(l),
    askPassword: async (prompt) => {
      run.prompts.push(prompt);
      return password;
    },
    ssh: { readyTimeoutMs: 5000 },
  });
  try {
    await program.parseAsync(['ssh-copy-id', ...args], { from: 'user' });
  } catch (e) {
    run.error = e;
  }
  return run;
}

const authorizedKeys = (): string => join(sshd.userHome ?? '', '.ssh', 'authorized_keys');

test.serial('first run: asks the password once, adds the key with 0700/0600; the key then works; the second run asks nothing', async (t) => {
  const f = files('first');
  const r = await copyId(['-a', f.answer, '-i', f.inventory, '--trust-new-hosts']);
  t.is(r.error, undefined, `${String(r.error)}\n${r.err.join('\n')}\n${sshd.log().slice(-3000)}`);
  t.deepEqual(r.prompts, [`${USER}@127.0.0.1:${sshd.port} password for host node1: `]);
  t.deepEqual(r.out, [`node1: key added to ~/.ssh/authorized_keys of ${USER}@127.0.0.1:${sshd.port} (logged in with the password)`, 'ssh-copy-id: the key gets into all 1 host']);
  t.deepEqual(r.err, []);
  t.is(readFileSync(authorizedKeys(), 'utf8'), `${deployKey.publicLine}\n`);
  t.is(statSync(join(sshd.userHome ?? '', '.ssh')).mode & 0o777, 0o700);
  t.is(statSync(authorizedKeys()).mode & 0o777, 0o600);
  t.is(statSync(authorizedKeys()).uid, statSync(sshd.userHome ?? '').uid, 'owned by the user, not root');
  t.false([...r.out, ...r.err].join('\n').includes(PASSWORD));

  // The installed key now logs in (the server accepts only ~/.ssh/authorized_keys).
  const tr = await connectSsh({ name: 'node1', address: '127.0.0.1', roles: ['control'], osFamily: 'debian', ssh: { user: USER, port: sshd.port, keyFile: deployKey.path }, sudo: false, interfaceAddresses: {}, knownHostsFile: f.knownHosts, origin: 't' });
  t.is((await tr.run({ argv: ['id', '-un'] })).stdout, `${USER}\n`);
  await tr.close();

  const again = await copyId(['-a', f.answer, '-i', f.inventory]);
  t.is(again.error, undefined, `${String(again.error)}\n${again.err.join('\n')}`);
  t.deepEqual(again.prompts, [], 'no password asked when the key already gets in');
  t.deepEqual(again.out[0], `node1: key already in ~/.ssh/authorized_keys of ${USER}@127.0.0.1:${sshd.port} (the key already got in)`);
  t.is(readFileSync(authorizedKeys(), 'utf8'), `${deployKey.publicLine}\n`, 'no duplicate line');
});

test.serial('an existing file without a final newline keeps its lines; the same key with other options/comment is not added twice', async (t) => {
  const other = keygen(work, 'other_key');
  writeFileSync(authorizedKeys(), other.publicLine); // no trailing newline
  const f = files('newline');
  const r = await copyId(['-a', f.answer, '-i', f.inventory, '--trust-new-hosts']);
  t.is(r.error, undefined, `${String(r.error)}\n${r.err.join('\n')}\n${sshd.log().slice(-3000)}`);
  t.is(r.prompts.length, 1);
  t.is(readFileSync(authorizedKeys(), 'utf8'), `${other.publicLine}\n${deployKey.publicLine}\n`);

  const [type, key] = deployKey.publicLine.split(' ');
  writeFileSync(authorizedKeys(), `from="127.0.0.1",no-pty ${type} ${key} an-old-comment\n`);
  const r2 = await copyId(['-a', f.answer, '-i', f.inventory]);
  t.is(r2.error, undefined, `${String(r2.error)}\n${r2.err.join('\n')}`);
  t.deepEqual(r2.prompts, []);
  t.regex(r2.out[0] ?? '', /key already in/);
  t.is(readFileSync(authorizedKeys(), 'utf8'), `from="127.0.0.1",no-pty ${type} ${key} an-old-comment\n`);
});

test.serial('a wrong password fails that host once (asked once), exit code 1, password in no message', async (t) => {
  writeFileSync(authorizedKeys(), '');
  const f = files('wrong');
  const wrong = `wrong-${randomBytes(6).toString('hex')}`;
  const r = await copyId(['-a', f.answer, '-i', f.inventory, '--trust-new-hosts'], wrong);
  t.is(r.prompts.length, 1);
  t.true(r.error instanceof CairnError);
  t.is((r.error as CairnError).exitCode, 1);
  t.is((r.error as CairnError).message, 'ssh-copy-id: 1 of 1 host failed');
  t.deepEqual(r.err, [`host node1: authentication failed for ${USER}@127.0.0.1:${sshd.port} with a password`]);
  t.false([...r.out, ...r.err].join('\n').includes(wrong));
  t.is(readFileSync(authorizedKeys(), 'utf8'), '');
});

test.serial('an unknown host key without --trust-new-hosts is refused before any password is asked', async (t) => {
  const f = files('unknown');
  const r = await copyId(['-a', f.answer, '-i', f.inventory]);
  t.deepEqual(r.prompts, []);
  t.is((r.error as CairnError).exitCode, 1);
  t.regex(r.err[0] ?? '', /^host node1: unknown host key for \[127\.0\.0\.1\]:\d+: ED25519 key fingerprint is SHA256:[A-Za-z0-9+/]{43}, .*--trust-new-hosts/);
});

test.serial('an invalid answer file copies nothing (exit 2)', async (t) => {
  const bad = join(work, 'bad.ini');
  writeFileSync(bad, '[general]\nCONFIG_NO_SUCH_KEY=1\n');
  const r = await copyId(['-a', bad]);
  t.deepEqual(r.prompts, []);
  t.is((r.error as CairnError).exitCode, 2);
  t.true(r.err.length > 0);
});

test.serial('sudo -n that wants a password fails clearly (a user with no sudo rights)', async (t) => {
  writeFileSync(authorizedKeys(), `${deployKey.publicLine}\n`);
  const f = files('sudo');
  await copyId(['-a', f.answer, '-i', f.inventory, '--trust-new-hosts']); // records the host key
  const tr = await connectSsh({ name: 'node1', address: '127.0.0.1', roles: ['control'], osFamily: 'debian', ssh: { user: USER, port: sshd.port, keyFile: deployKey.path }, sudo: true, interfaceAddresses: {}, knownHostsFile: f.knownHosts, origin: 't' });
  try {
    const err = await t.throwsAsync(tr.run({ argv: ['systemctl', 'restart', 'nova-api'] }), { instanceOf: HostError });
    t.is(err?.phase, 'sudo');
    t.regex(err?.message ?? '', new RegExp(`^host node1: sudo wants a password for ${USER} \\(cairn runs sudo -n, non-interactive\\): give ${USER} passwordless sudo \\(NOPASSWD\\) or connect as root; sudo said: sudo: a password is required`));
  } finally {
    await tr.close();
  }
});

test('the key install command is exactly this argv', (t) => {
  t.deepEqual(installKeyArgv({ line: 'ssh-ed25519 AAAA c', key: 'AAAA' }).slice(3), ['sh', 'AAAA', 'ssh-ed25519 AAAA c']);
});

test('the password prompt reads a real terminal with echo off (Backspace and Ctrl-U edit, Enter ends)', async (t) => {
  const program = `import('${join(repoRoot, 'dist/src/cli/password-prompt.js')}').then(async (m) => { const pw = await m.askPasswordOnTty('Password: '); console.log('HASH=' + require('crypto').createHash('sha256').update(pw).digest('hex')); })`;
  // util-linux `script` gives the command a pseudo-terminal and types our stdin into it. We
  // type only once the prompt is shown, as a person would (before that the terminal is still
  // in its normal echoing mode). Typed: junk, Ctrl-U (erase), "s3creX", Backspace, "T", Enter.
  const child = spawn('script', ['-q', '-e', '-c', `node -e "${program.replace(/"/g, '\\"')}"`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let typed = false;
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (!typed && out.includes('Password: ')) {
      typed = true;
      setTimeout(() => child.stdin.write('junk\u0015s3creX\u007fT\r'), 200);
    }
  });
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  t.is(code, 0, out);
  t.true(out.includes(`HASH=${createHash('sha256').update('s3creT').digest('hex')}`), out);
  t.false(out.includes('s3cre'), `the password was echoed: ${out}`);
  t.false(out.includes('junk'), `the password was echoed: ${out}`);
});
