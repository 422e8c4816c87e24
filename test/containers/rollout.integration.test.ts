/**
 * replaceContainer on a real Docker engine reached over a real SSH connection (local sshd ->
 * this machine's engine socket), with a stand-in service: a python3 HTTP server in
 * cairn/openstack-base that, like uwsgi --reuse-port, can share its port with its successor.
 * Checks the health-gated replacement, the automatic restore when the new version crash-loops
 * or never answers, and that only the kept previous container remains.
 * Needs the Docker engine; builds cairn/openstack-base:zed-1 when missing (a few minutes).
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import Docker from 'dockerode';
import { healthTest } from '../../src/containers/desired.js';
import { nodeDocker, type NodeDocker } from '../../src/containers/docker-over-ssh.js';
import { compareSpec } from '../../src/containers/compare.js';
import { inspectByName, removeIfExists } from '../../src/containers/engine.js';
import { baseContext, buildImage, ensureRootfsImage, hostArchive } from '../../src/containers/image-build.js';
import { imageRef, OPENSTACK_BASE } from '../../src/containers/images.js';
import { previousName, replaceContainer } from '../../src/containers/rollout.js';
import { containerLabels, LABELS, type ContainerSpec } from '../../src/containers/spec.js';
import { imageExists } from '../../src/local/docker-engine.js';
import { Progress } from '../../src/local/progress.js';
import { connectSsh, type SshTransport } from '../../src/transport/ssh-transport.js';
import { startSshd, writeKnownHosts, type TestSshd } from '../helpers/sshd.js';

const IMAGE = imageRef(OPENSTACK_BASE, 'zed-1');
const PORT = 18000 + Math.floor(Math.random() * 1000);
const NAME = `cairn-rollout-test-${PORT}`;
let sshd: TestSshd;
let transport: SshTransport;
let node: NodeDocker;
const local = new Docker();
const scratch = mkdtempSync(join(tmpdir(), 'cairn-rollout-'));

/** An HTTP server on 127.0.0.1:PORT answering its version, bound with SO_REUSEPORT. */
const server = (version: string): string[] => [
  'python3',
  '-c',
  [
    'import socket, sys, http.server as h',
    'class S(h.HTTPServer):',
    '    def server_bind(self):',
    '        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)',
    '        super().server_bind()',
    'class H(h.BaseHTTPRequestHandler):',
    '    def do_GET(self):',
    '        self.send_response(200); self.end_headers(); self.wfile.write(sys.argv[1].encode())',
    '    def log_message(self, *a): pass',
    `S(("127.0.0.1", ${PORT}), H).serve_forever()`,
  ].join('\n'),
  version,
];

function spec(version: string, command = server(version)): ContainerSpec {
  return {
    name: NAME,
    service: 'rollout-test',
    image: IMAGE,
    version,
    command,
    capAdd: [],
    procSysWritable: false,
    env: {},
    binds: [],
    networkMode: 'host',
    labels: { ...containerLabels('rollout-test', version, 'x', {}), 'cairn.test': 'rollout' },
    healthcheck: { test: healthTest(PORT, '/'), intervalMs: 1000, timeoutMs: 3000, retries: 2, startPeriodMs: 0 },
    restartPolicy: { name: 'unless-stopped', maximumRetryCount: 0 },
  };
}

const opts = (overlap: boolean) => ({ overlap, healthDeadlineMs: 45_000, log: () => undefined });
const answer = async (): Promise<string> => (await fetch(`http://127.0.0.1:${PORT}/`)).text();
const cleanup = async (): Promise<void> => {
  for (const n of [NAME, `${NAME}-next`, previousName(NAME)]) await removeIfExists(local, n);
};

test.before(async () => {
  if (!(await imageExists(local, IMAGE))) {
    const progress = new Progress(undefined);
    const archive = hostArchive();
    const rootfs = await ensureRootfsImage(local, archive, progress);
    await buildImage(local, IMAGE, OPENSTACK_BASE, 'zed-1', baseContext(rootfs, archive), progress);
  }
  sshd = await startSshd();
  writeKnownHosts(join(sshd.dir, 'known_hosts'), sshd.knownHostsLines());
  transport = await connectSsh(sshd.host());
  node = nodeDocker(transport);
  await cleanup();
});

test.after.always(async () => {
  await cleanup().catch(() => undefined);
  node?.close();
  await transport?.close();
  await sshd?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

test.serial('first start, then an overlapping upgrade: the new version serves, the old one is kept stopped as -previous', async (t) => {
  const first = await replaceContainer(node.docker, spec('v1'), opts(true));
  t.is(first.outcome, 'ok');
  t.is(first.from, undefined);
  t.is(await answer(), 'v1');

  const up = await replaceContainer(node.docker, spec('v2'), opts(true));
  t.is(up.outcome, 'ok', up.detail);
  t.is(up.from, 'v1');
  t.is(up.gapMs, 0, 'the old one served until the new one was healthy');
  t.is(await answer(), 'v2');
  const prev = await inspectByName(local, previousName(NAME));
  t.is(prev?.Config?.Labels?.[LABELS.version], 'v1');
  t.false(prev?.State?.Running);
  t.is(await inspectByName(local, `${NAME}-next`), undefined);
});

test.serial('a crash-looping new version is refused with its output; the old one never stopped serving', async (t) => {
  const broken = spec('v3', ['sh', '-c', 'echo "ImportError: keystone is broken in v3" >&2; exit 3']);
  const r = await replaceContainer(node.docker, broken, opts(true));
  t.is(r.outcome, 'restored');
  t.is(r.from, 'v2');
  t.regex(r.why ?? '', /exited|restarting/);
  t.regex(r.detail ?? '', /ImportError: keystone is broken in v3/);
  t.is(await answer(), 'v2');
  t.is((await inspectByName(local, NAME))?.Config?.Labels?.[LABELS.version], 'v2');
  t.is(await inspectByName(local, `${NAME}-next`), undefined, 'the refused container is gone');
});

test.serial('without overlap: the old one stops first; a new version that never gets healthy is refused and the old one started again', async (t) => {
  // Runs, but answers on no port: its health check fails until the deadline.
  const silent = spec('v4', ['sleep', 'infinity']);
  const r = await replaceContainer(node.docker, silent, { ...opts(false), healthDeadlineMs: 8000 });
  t.is(r.outcome, 'restored');
  t.regex(r.detail ?? '', /last health check: exit 1/);
  t.true((r.gapMs ?? 0) > 0, 'the service was down while the new one was tried');
  t.is(await answer(), 'v2');
});

test.serial('a version the engine cannot even create (no such image) is refused and the old one started again', async (t) => {
  // Without overlap the old one is stopped first: it must come back.
  const r = await replaceContainer(node.docker, { ...spec('v5'), image: 'cairn-test/no-such-image:1' }, { ...opts(false), healthDeadlineMs: 8000 });
  t.is(r.outcome, 'restored');
  t.regex(r.why ?? '', /the engine could not start it: .*no-such-image/);
  t.is(await answer(), 'v2');
});

test.serial("/proc/sys writable (the L3 agent's spec): the engine drops only that read-only bind, and reports what compares equal", async (t) => {
  const want = { ...spec('v6'), procSysWritable: true };
  const r = await replaceContainer(node.docker, want, opts(false));
  t.is(r.outcome, 'ok', r.detail);
  const got = await inspectByName(local, NAME);
  t.deepEqual(compareSpec(got!, want), []);
  t.deepEqual(compareSpec(got!, spec('v6')).map((d) => d.field), ['proc_sys_writable']);
  // Read, never written: the container shares this machine's network namespace.
  const mounts = execFileSync('docker', ['exec', NAME, 'cat', '/proc/self/mountinfo'], { encoding: 'utf8' });
  t.false(/ \/proc\/sys ro[, ]/.test(mounts), 'no read-only bind over /proc/sys');
  t.regex(mounts, / \/proc\/bus ro[, ]/, "Docker's other read-only paths stay");
});
