/**
 * dockerode over ONE SSH connection, for real: a real OpenSSH server on 127.0.0.1
 * (test/helpers/sshd.ts) forwards streamlocal channels to this machine's Docker engine socket.
 * Checks: API calls work, many calls cost one login and a few channels, request and response
 * bodies stream through the channel both ways (an image imported through SSH, then saved here
 * and loaded back through SSH by ensureImage). Needs the Docker engine (scripts/lab-host-setup.sh).
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { IDLE_CHANNEL_MS, nodeDocker, type NodeDocker } from '../../src/containers/docker-over-ssh.js';
import { ensureImage, ensureImages, imageId } from '../../src/containers/distribute.js';
import { connectSsh, type SshTransport } from '../../src/transport/ssh-transport.js';
import { startSshd, writeKnownHosts, type TestSshd } from '../helpers/sshd.js';

let sshd: TestSshd;
let transport: SshTransport;
let node: NodeDocker;
const local = new Docker();
const scratch = mkdtempSync(join(tmpdir(), 'cairn-docker-ssh-'));
const ref = `cairn-test/over-ssh:${randomBytes(4).toString('hex')}`;

test.before(async () => {
  await local.ping();
  sshd = await startSshd();
  writeKnownHosts(join(sshd.dir, 'known_hosts'), sshd.knownHostsLines());
  transport = await connectSsh(sshd.host());
  node = nodeDocker(transport);
});

test.after.always(async () => {
  node?.close();
  await transport?.close();
  await sshd?.stop();
  await local.getImage(ref).remove({ force: true }).catch(() => undefined);
  rmSync(scratch, { recursive: true, force: true });
});

const logins = (): number => sshd.log().split('\n').filter((l) => l.includes('Accepted publickey')).length;

test.serial('41 sequential engine API calls: one SSH login, one channel (kept alive); a parallel burst adds channels, not logins', async (t) => {
  const version = await node.docker.version();
  t.is(version.Version, (await local.version()).Version);
  for (let i = 0; i < 20; i++) {
    await node.docker.ping();
    await node.docker.listContainers({ all: true, limit: 1 });
  }
  t.is(node.channelsOpened(), 1, 'keep-alive reuses the one channel');
  await Promise.all(Array.from({ length: 6 }, () => node.docker.info()));
  t.true(node.channelsOpened() <= 7, `channels opened: ${node.channelsOpened()}`);
  t.is(logins(), 1, sshd.log());
});

test.serial('bodies stream through the channel: import through SSH, then save here | load through SSH', async (t) => {
  // A one-file image: enough to move real layer bytes without needing a runnable OS.
  const dir = join(scratch, 'rootfs');
  execFileSync('mkdir', ['-p', dir]);
  writeFileSync(join(dir, 'payload'), randomBytes(2 * 1024 * 1024));
  const tarFile = join(scratch, 'rootfs.tar');
  execFileSync('tar', ['-C', dir, '-cf', tarFile, '.']);
  const [repo, tag] = ref.split(':') as [string, string];
  const stream = await node.docker.importImage(tarFile, { repo, tag });
  await new Promise((resolve, reject) => node.docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve(undefined))));
  const id = await imageId(local, ref);
  t.truthy(id, 'the engine has the image imported through SSH');

  t.is(await ensureImage(local, node, ref), 'present', 'same id on both sides: nothing moves');

  // Save it here, remove it, load it back through SSH: the node "lacks" it in between.
  const saved = join(scratch, 'saved.tar');
  const out = await local.getImage(ref).get();
  await new Promise<void>((resolve, reject) => {
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    out.on('end', () => (writeFileSync(saved, Buffer.concat(chunks)), resolve()));
    out.on('error', reject);
  });
  await local.getImage(ref).remove({ force: true });
  t.is(await imageId(local, ref), undefined);
  const response = await node.docker.loadImage(saved, { quiet: true });
  await new Promise((resolve, reject) => (response.on('end', resolve), response.on('error', reject), response.resume()));
  t.is(await imageId(local, ref), id, 'loaded back through SSH with the same id');
  t.is(logins(), 1);
});

test.serial('ensureImages: nothing moves for images the node has (named twice, once checked); one missing here is a clear error before anything moves', async (t) => {
  t.deepEqual(await ensureImages(local, node, [ref, ref]), []);
  const missing = 'cairn/no-such-service:zed-999';
  await t.throwsAsync(ensureImages(local, node, [ref, missing]), { message: /image cairn\/no-such-service:zed-999 is not on this machine: build it with 'cairn images build --tag zed-999'/ });
});

test.serial('a wrong socket path is a clear error naming the host', async (t) => {
  const other = nodeDocker(transport, '/run/no-such-docker.sock');
  try {
    const err = await t.throwsAsync(other.docker.ping());
    t.regex(err?.message ?? '', /cannot reach the Docker engine at \/run\/no-such-docker\.sock through SSH/);
  } finally {
    other.close();
  }
});

test.serial('a channel idle longer than IDLE_CHANNEL_MS is closed here; the next call opens a fresh one and succeeds', async (t) => {
  const fresh = nodeDocker(transport);
  try {
    await fresh.docker.version();
    await fresh.docker.version();
    t.is(fresh.channelsOpened(), 1);
    await new Promise((r) => setTimeout(r, IDLE_CHANNEL_MS + 1000));
    await fresh.docker.version();
    t.is(fresh.channelsOpened(), 2, 'the idle channel was not reused');
  } finally {
    fresh.close();
  }
});
