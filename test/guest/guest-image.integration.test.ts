/**
 * cairn's guest image, built from Debian's packages and booted for real under qemu (TCG, as
 * on this kind of machine): the serial console's markers, a DHCP lease from qemu's own DHCP
 * server, the SSH key, hostname and user-data from a metadata service (an HTTP server on
 * loopback, reached from the guest at qemu's host address), then an SSH login with that key
 * through cairn's own transport. A second build comes from the cache with the same bytes.
 */
import test from 'ava';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Host } from '../../src/config/model.js';
import { buildGuestImage, type GuestImage } from '../../src/guest/guest-image.js';
import { Progress } from '../../src/local/progress.js';
import { connectSsh } from '../../src/transport/ssh-transport.js';
import { freePort } from '../helpers/ports.js';
import { keygen, type KeyPair } from '../helpers/sshd.js';
import { repoRoot } from '../helpers/paths.js';

const scratch = mkdtempSync(join(tmpdir(), 'cairn-guest-it-'));
let image: GuestImage;
let key: KeyPair;
let metadata: Server;
let metadataPort = 0;
let qemu: ChildProcess | undefined;
let console_ = '';
const requests: string[] = [];

test.before(async (t) => {
  t.timeout(10 * 60_000);
  if (!existsSync('/usr/bin/qemu-system-x86_64')) execFileSync('sh', [join(repoRoot, 'scripts', 'install-test-tools.sh')], { stdio: 'inherit' });
  image = await buildGuestImage(join(scratch, 'cache'), new Progress(undefined));
  key = keygen(scratch, 'guest_key');
  // What Nova's metadata API answers (EC2-style paths, which the guest's init reads).
  const answers: Record<string, string> = {
    '/latest/meta-data/public-keys/0/openssh-key': `${key.publicLine}\n`,
    '/latest/meta-data/hostname': 'guest-one.novalocal',
    '/latest/user-data': '#!/bin/sh\necho user-data-ran > /tmp/user-data.out\n',
  };
  metadata = createServer((req, res) => {
    requests.push(req.url ?? '');
    const body = answers[req.url ?? ''];
    res.writeHead(body === undefined ? 404 : 200).end(body ?? '');
  });
  await new Promise<void>((resolve) => metadata.listen(0, '127.0.0.1', resolve));
  metadataPort = (metadata.address() as { port: number }).port;
});

test.after.always(async () => {
  if (qemu?.pid && qemu.exitCode === null) qemu.kill('SIGKILL');
  await new Promise((resolve) => (metadata ? metadata.close(resolve) : resolve(undefined)));
  rmSync(scratch, { recursive: true, force: true });
});

test.serial('the image is small and names what it is made of', (t) => {
  const m = image.manifest;
  t.regex(m.kernelRelease, /^\d+\.\d+\.\d+-\d+-cloud-amd64$/);
  t.deepEqual(m.packages.map((p) => p.name).slice(1), [
    'busybox-static', 'dropbear-bin', 'libc6', 'libcrypt1', 'libtomcrypt1', 'libtommath1', 'libgmp10', 'zlib1g',
    'util-linux', 'libblkid1', 'libmount1', 'libsmartcols1', 'libudev1', 'libselinux1', 'libpcre2-8-0',
  ]);
  t.true(m.modules.some((x) => x.endsWith('/virtio_net.ko')));
  t.true(m.modules.indexOf(m.modules.find((x) => x.endsWith('/virtio.ko'))!) < m.modules.indexOf(m.modules.find((x) => x.endsWith('/virtio_net.ko'))!), 'dependencies load first');
  t.true(m.files.initrd.bytes < 8e6, `initramfs ${m.files.initrd.bytes} bytes`);
  t.is(createHash('sha256').update(readFileSync(image.initrd)).digest('hex'), m.files.initrd.sha256);
});

test.serial('boots under qemu TCG: DHCP, metadata (key, hostname, user-data), then SSH with the key', async (t) => {
  t.timeout(5 * 60_000);
  const sshPort = await freePort();
  qemu = spawn(
    'qemu-system-x86_64',
    [
      ...['-accel', 'tcg', '-cpu', 'max', '-m', '256', '-nographic', '-no-reboot'],
      ...['-kernel', image.kernel, '-initrd', image.initrd],
      // 10.0.2.2 is this machine's loopback as qemu's user-mode network shows it to the guest.
      ...['-append', `console=ttyS0 quiet cairn.metadata=http://10.0.2.2:${metadataPort}`],
      ...['-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${sshPort}-:22`, '-device', 'virtio-net-pci,netdev=n0'],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  qemu.stdout!.on('data', (d: Buffer) => (console_ += d.toString()));
  qemu.stderr!.on('data', (d: Buffer) => (console_ += d.toString()));
  const deadline = Date.now() + 180_000;
  while (!console_.includes('cairn-guest: ssh up') && Date.now() < deadline && qemu.exitCode === null) await new Promise((r) => setTimeout(r, 250));
  const markers = console_.split(/\r?\n/).filter((l) => l.includes('cairn-guest:')).map((l) => l.slice(l.indexOf('cairn-guest:')));
  t.log(markers.join('\n'));
  t.true(console_.includes('cairn-guest: ssh up on port 22'), `console:\n${console_.slice(-3000)}`);
  t.false(markers.some((l) => l.includes('FAIL')), markers.join('\n'));
  t.true(markers.some((l) => /^cairn-guest: booted in [\d.]+ s, kernel \S+-cloud-amd64$/.test(l)));
  t.true(markers.includes('cairn-guest: dhcp eth0 10.0.2.15/24 gateway 10.0.2.2'), 'the lease from qemu\'s DHCP server');
  const fingerprintTail = (key.publicLine.split(' ')[1] ?? '').slice(-12);
  t.true(markers.includes(`cairn-guest: metadata from http://10.0.2.2:${metadataPort}: hostname guest-one key ssh-ed25519 ${fingerprintTail}`), markers.join('\n'));
  t.true(markers.includes('cairn-guest: user-data ran, exit 0'));
  t.true(requests.includes('/latest/meta-data/public-keys/0/openssh-key'));

  const host: Host = {
    name: 'guest-one',
    address: '127.0.0.1',
    roles: [],
    osFamily: 'debian',
    ssh: { user: 'root', port: sshPort, keyFile: key.path },
    sudo: false,
    interfaceAddresses: {},
    knownHostsFile: join(scratch, 'known_hosts'),
    origin: 'test',
  };
  const tr = await connectSsh(host, { trustNewHosts: true });
  try {
    const r = await tr.run({ argv: ['sh', '-c', 'hostname; cat /tmp/user-data.out; head -n 1 /etc/os-release; cat /sys/module/virtio_net/parameters/csum /sys/module/virtio_net/parameters/gso'] });
    t.is(r.code, 0, r.stderr);
    // The last two: virtio_net without checksum/segmentation offload (see MODULE_PARAMS).
    t.is(r.stdout, 'guest-one\nuser-data-ran\nNAME="cairn guest"\nN\nN\n');
    // util-linux's lsblk runs (its libraries are all there): Tempest lists disks with it.
    const disks = await tr.run({ argv: ['sh', '-c', 'lsblk -lb --nodeps; echo "lsblk exit $?"'] });
    t.regex(disks.stdout, /lsblk exit 0$/m, disks.stdout + disks.stderr);
  } finally {
    await tr.close();
  }
});

test.serial('a second build comes from the cache, byte for byte', async (t) => {
  const again = await buildGuestImage(join(scratch, 'cache'), new Progress(undefined));
  t.true(again.cached);
  t.is(again.dir, image.dir);
  t.deepEqual(again.manifest.files, image.manifest.files);
  t.true(existsSync(join(image.dir, 'verified.json')), 'the files were found whole once: not hashed again next time');
});

test.serial('a cached file rewritten since it was verified is hashed again: a damaged image is rebuilt', async (t) => {
  t.timeout(5 * 60_000);
  const size = statSync(image.initrd).size;
  writeFileSync(image.initrd, Buffer.alloc(size));
  const rebuilt = await buildGuestImage(join(scratch, 'cache'), new Progress(undefined));
  t.false(rebuilt.cached);
  t.is(createHash('sha256').update(readFileSync(rebuilt.initrd)).digest('hex'), rebuilt.manifest.files.initrd.sha256);
});
