/**
 * Containers mode end to end on a real lab (issue #6, acceptance 1): a fresh one-node lab
 * (systemd + sshd container); `cairn containers deploy` puts MariaDB, RabbitMQ and memcached
 * (and libvirtd) on the node (packages-mode steps), installs Docker there, loads the images over
 * SSH and runs Keystone, Glance, Placement, Nova (API, metadata API, conductor, scheduler, noVNC
 * proxy, compute), Neutron (server, RPC server, OVS, DHCP, L3 and metadata agents) and Horizon
 * as containers; then: tokens are issued, the catalog lists the services, every agent is alive,
 * an instance boots on a project network behind a router, and its metadata is served through
 * the agents' containers; a re-run changes nothing; keystone upgrades to a new build; a deliberately broken
 * build is refused and the old one keeps serving; `cairn rollback` returns to the build before.
 *
 * Serial tests, the long ones with their own timers: over the 10 minute budget of `npm test`,
 * so ava.config.mjs leaves every *.e2e.test.js to `npm run test:e2e`.
 * The lab is removed in after.always.
 */
import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { main } from '../../src/cli/main.js';
import { controllerOf, type Deployment } from '../../src/config/model.js';
import { loadDeployment } from '../../src/config/deployment.js';
import { buildServiceImages, listCairnImages } from '../../src/containers/image-build.js';
import { nextTag } from '../../src/containers/images.js';
import { readHistory, historyFileIn } from '../../src/containers/history.js';
import { containerServices, imageOf, imageOwners } from '../../src/containers/services.js';
import { Progress } from '../../src/local/progress.js';
import { keystoneUrl } from '../../src/services/common.js';
import { adminEnvScript } from '../../src/services/credentials.js';
import { labDown, labUp } from '../../src/lab/lab.js';
import { nodeDocker } from '../../src/containers/docker-over-ssh.js';
import { ensureImage, ensureImages } from '../../src/containers/distribute.js';
import { imageRef } from '../../src/containers/images.js';
import { ensureEngine } from '../../src/containers/node-prep.js';
import { connectSsh } from '../../src/transport/ssh-transport.js';
import { labPaths } from '../../src/lab/lab-name.js';
import { repoRoot } from '../helpers/paths.js';
import { buildBrokenKeystone } from './broken-image.js';

const serial = test.serial;
const docker = new Docker();
/** The lab, known before it is brought up so that after.always removes even a half-made one. */
let root: string | undefined;
const labName = `ctre${process.pid % 100000}`;
let paths: ReturnType<typeof labPaths>;
let d: Deployment;
let files: string[];
let stateDir: string;
let tag1: string;
let tag2: string;
/** The deliberately broken keystone build, removed from this machine's engine at the end. */
let brokenTag: string | undefined;

async function cairn(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/**
 * A scoped admin token request from this machine; the status code. Password auth is bcrypt:
 * on a loaded 2-core machine a fresh keystone worker took over 10 s for its first one.
 */
async function tokenStatus(): Promise<number> {
  const body = {
    auth: {
      identity: { methods: ['password'], password: { user: { name: d.keystone.adminUser, domain: { id: 'default' }, password: d.keystone.adminPassword } } },
      scope: { project: { name: 'admin', domain: { id: 'default' } } },
    },
  };
  const r = await fetch(`${keystoneUrl(d)}/auth/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(60_000) });
  return r.status;
}

/**
 * Signs in to the dashboard as the admin, as a browser does (CSRF cookie and token, then the
 * form); the page the sign-in redirects to (the login page again when it failed).
 */
async function dashboardLogin(base: string): Promise<string> {
  const page = await fetch(`${base}/auth/login/`);
  const cookies = page.headers.getSetCookie().map((c) => c.split(';')[0]!);
  const html = await page.text();
  const token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const region = /name="region" value="([^"]*)"/.exec(html)?.[1];
  const form = new URLSearchParams({ csrfmiddlewaretoken: token, username: d.keystone.adminUser, password: d.keystone.adminPassword, domain: 'Default', ...(region !== undefined ? { region } : {}) });
  const r = await fetch(`${base}/auth/login/`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: cookies.join('; '), referer: `${base}/auth/login/`, 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
    signal: AbortSignal.timeout(120_000),
  });
  return r.headers.get('location') ?? `(${r.status}, no redirect)`;
}

/** `cairn verify` (containers mode): exit 0 and every check ok; returns the table. */
async function verifyGreen(t: ExecutionContext): Promise<string> {
  const r = await cairn(['verify', '-a', paths.answerFile, '-i', paths.inventory, '--wait', '60']);
  t.is(r.code, 0, `${r.out}\n${r.err}`);
  t.regex(r.out, /^all \d+ checks passed/m);
  t.log(r.out);
  for (const check of ['containers', 'keystone-token', 'endpoints', 'compute-services', 'hypervisors', 'placement', 'network-agents', 'image-upload', 'dashboard', 'services', 'clock']) t.regex(r.out, new RegExp(`^${check}\\s+\\S+\\s+ok`, 'm'), check);
  return r.out;
}

/** `docker inspect` of a container on the lab node (through the node container). */
function nodeInspect(name: string): { Id: string; State: { StartedAt: string }; Config: { Labels: Record<string, string> } } {
  const out = execFileSync('docker', ['exec', controllerOf(d).name, 'docker', 'inspect', name], { encoding: 'utf8' });
  return (JSON.parse(out) as never[])[0]!;
}

test.after.always(async () => {
  // The broken build must not stay the newest keystone here: `cairn deploy` without --tag runs
  // the newest build of each image.
  if (brokenTag !== undefined) await docker.getImage(imageRef('keystone', brokenTag)).remove().catch(() => undefined);
  if (root === undefined) return;
  await labDown({ name: labName, root, purge: true });
  rmSync(root, { recursive: true, force: true });
});

serial('images for every container service exist (built when missing)', async (t) => {
  // Building every image from Debian packages on a machine that has none: about 4 minutes each.
  t.timeout(40 * 60_000);
  const rows = await listCairnImages(docker);
  const have = (tag: string): boolean => containerServices.every((s) => rows.some((r) => r.name === imageOf(s) && r.tag === tag));
  const tags = rows.filter((r) => r.name === 'keystone').map((r) => r.tag);
  tag1 = tags.find(have) ?? nextTag('zed', rows.map((r) => r.tag));
  if (!have(tag1)) await buildServiceImages(docker, containerServices, 'zed', tag1, new Progress(undefined));
  t.true(have(tag1) || (await listCairnImages(docker)).filter((r) => r.tag === tag1).length >= imageOwners(containerServices).length);
});

serial('a one-node lab: the controller, doubling as compute host, in containers mode', async (t) => {
  execFileSync('sh', [join(repoRoot, 'scripts', 'lab-host-setup.sh')], { stdio: 'ignore' });
  root = mkdtempSync(join(tmpdir(), 'cairn-ctre-'));
  paths = labPaths(root, labName);
  // Placement is on only with Nova, which needs a compute host: the controller is one.
  await labUp({ name: labName, root, controllers: 1, computes: 0 });
  // Demo provisioning is packages mode's only, yet (validate says so): off here.
  const answer = readFileSync(paths.answerFile, 'utf8').replace(/^CAIRN_DEPLOY_MODE=.*$/m, 'CAIRN_DEPLOY_MODE=containers').replace(/^CONFIG_PROVISION_DEMO=.*$/m, 'CONFIG_PROVISION_DEMO=n');
  writeFileSync(paths.answerFile, answer);
  const inventoryText = readFileSync(paths.inventory, 'utf8');
  const ctrl = /^  (\S+):\n    address:/m.exec(inventoryText)?.[1];
  writeFileSync(paths.inventory, inventoryText.replace(/compute: \[\]/, `compute: [${ctrl}]`));
  const loaded = loadDeployment({ answerFile: paths.answerFile, answerText: answer, inventoryFile: paths.inventory, inventoryText: readFileSync(paths.inventory, 'utf8') });
  t.truthy(loaded.deployment, JSON.stringify(loaded.problems));
  d = loaded.deployment!;
  stateDir = join(root, '.cairn');
  files = ['-a', paths.answerFile, '-i', paths.inventory, '--state-dir', stateDir];
});

serial('the node gets a Docker engine and the images, over its one SSH connection', async (t) => {
  // docker.io on the node, then every image (several GB) through SSH.
  t.timeout(20 * 60_000);
  // What containers deploy does first, as its own step so each step stays within ava's timer.
  const host = controllerOf(d);
  const transport = await connectSsh(host);
  const node = nodeDocker(transport);
  try {
    await ensureEngine(transport);
    // Every image in one save stream: the layers they share cross once.
    const refs = imageOwners(containerServices).map((s) => imageRef(s.name, tag1));
    const started = Date.now();
    t.deepEqual(await ensureImages(docker, { host: host.name, docker: node.docker }, refs), refs);
    t.log(`${refs.length} images loaded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    t.deepEqual(await ensureImages(docker, { host: host.name, docker: node.docker }, refs), [], 'present: nothing moves');
    t.is(await ensureImage(docker, { host: host.name, docker: node.docker }, imageRef('keystone', tag1)), 'present');
  } finally {
    node.close();
    await transport.close();
  }
});

serial('containers deploy: infrastructure, libvirtd and Open vSwitch on the host; keystone, glance, placement, nova, neutron and horizon in containers; tokens issued', async (t) => {
  // The host side installs MariaDB, RabbitMQ, memcached, libvirt, QEMU and Open vSwitch (br-ex); then every container, each health-gated.
  t.timeout(25 * 60_000);
  const r = await cairn(['containers', 'deploy', ...files, '--tag', tag1]);
  t.is(r.code, 0, `${r.err}\n${r.out}`);
  t.regex(r.out, new RegExp(`${containerServices.length} containers, ${containerServices.length} changed`));
  t.regex(r.err, /compute hosts mapped to cell1 \(1\): done/, 'discover-hosts ran once nova-compute was up');
  t.is(await tokenStatus(), 201);
  const addr = controllerOf(d).address;
  t.true((await fetch(`http://${addr}:9292/`)).status < 400, 'glance answers');
  t.is((await fetch(`http://${addr}:8778/`)).status, 200, 'placement answers');
  // cairn verify: the host side's units and clock, the three containers healthy, and their
  // APIs through the real openstack client (token, every catalog endpoint, an image upload).
  const table = await verifyGreen(t);
  t.regex(table, new RegExp(`${containerServices.length} healthy: ${containerServices.map((x) => `cairn-${x.name}:${tag1}`).join(', ')}`));
  const endpoints = table.split('\n').find((l) => l.startsWith('endpoints')) ?? '';
  for (const type of ['identity', 'image', 'placement', 'compute', 'network']) t.regex(endpoints, new RegExp(type));
  t.is((await fetch(`http://${addr}:6080/vnc_lite.html`)).status, 200, 'the noVNC console proxy serves');
  t.is((await fetch(`http://${addr}/auth/login/`)).status, 200, 'the dashboard serves its login page');
  // Signed in: redirected into the dashboard (/horizon/, then /project/); a failed sign-in
  // answers 200 with the form again.
  const landing = await dashboardLogin(`http://${addr}`);
  t.regex(landing, /^\/\S*$/, `the admin signs in to the dashboard (Horizon reaches Keystone): ${landing}`);
  t.notRegex(landing, /auth\/login/);
  t.regex(table, /^network-agents\s+\S+\s+ok\s+4 agents alive/m);
});

/** Runs `script` (sh) in the keystone container, which has the openstack client; its stdout. */
function inClient(script: string, timeoutMs: number): string {
  return execFileSync('docker', ['exec', '-i', controllerOf(d).name, 'docker', 'exec', '-i', 'cairn-keystone', 'sh', '-s'], { input: `${adminEnvScript(d)}\n${script}`, encoding: 'utf8', timeout: timeoutMs });
}

/** Runs argv on the lab node; its stdout. */
function onNode(argv: string[], input?: string): string {
  return execFileSync('docker', ['exec', '-i', controllerOf(d).name, ...argv], { encoding: 'utf8', timeout: 120_000, ...(input !== undefined ? { input } : {}) });
}

serial("an instance boots on a project network behind a router: nova-compute drives the host's libvirtd, the agents wire its port, DHCP and metadata serve it", async (t) => {
  t.timeout(15 * 60_000);
  // A project network inside the lab's own range (it never leaves the node's namespaces).
  const out = inClient(
    [
      'set -e',
      'head -c 1048576 /dev/zero > /tmp/zero.raw',
      'openstack image create --disk-format raw --container-format bare --file /tmp/zero.raw e2e-zero -f value -c id >/dev/null',
      'openstack flavor create --ram 64 --disk 1 --vcpus 1 e2e-tiny -f value -c id >/dev/null',
      'echo net_id=\"$(openstack network create e2e-net -f value -c id)\"',
      'openstack subnet create --network e2e-net --subnet-range 198.19.250.0/24 e2e-subnet -f value -c id >/dev/null',
      'echo router_id=\"$(openstack router create e2e-router -f value -c id)\"',
      'openstack router add subnet e2e-router e2e-subnet >/dev/null',
      // `-f shell`: one name="value" line per column, whatever else the client prints.
      'openstack server create --flavor e2e-tiny --image e2e-zero --network e2e-net --wait e2e-vm -f shell -c id -c status -c OS-EXT-SRV-ATTR:instance_name',
    ].join('\n'),
    600_000,
  );
  // The client quotes its values (key="value"); the shell's echo above prints them bare.
  const value = (key: string): string => {
    const m = new RegExp(`^${key}=(?:"([^"]*)"|(\\S*))$`, 'm').exec(out);
    return m?.[1] ?? m?.[2] ?? `(no ${key} in: ${out})`;
  };
  const [netId, routerId, serverId, instance, status] = ['net_id', 'router_id', 'id', 'os_ext_srv_attr_instance_name', 'status'].map(value);
  t.is(status, 'ACTIVE', out);
  // The domain runs under the HOST's libvirtd, its disk under the shared /var/lib/nova.
  t.regex(onNode(['virsh', 'list', '--name']), new RegExp(`^${instance}$`, 'm'));
  // The OVS agent (a container) wired the instance's port on the host's br-int: neutron says ACTIVE.
  const port = inClient(`openstack port list --server ${serverId} -f value -c status -c fixed_ips`, 120_000).trim();
  t.regex(port, /ACTIVE/, port);
  // The DHCP and L3 agents' namespaces are the node's (shared /run/netns), dnsmasq serves in one.
  const namespaces = onNode(['ip', 'netns', 'list']);
  t.regex(namespaces, new RegExp(`qdhcp-${netId}`));
  t.regex(namespaces, new RegExp(`qrouter-${routerId}`));
  t.regex(onNode(['ps', '-eo', 'args']), new RegExp(`dnsmasq .*${netId}`));
  // Metadata, the way an instance asks for it: a stand-in NIC on the project network (an OVS
  // port on br-int, bound to this host, moved into its own namespace, with the address and MAC
  // neutron gave it and the instance as its device) requests 169.254.169.254. The request goes
  // through the OVS agent's flows to the router (L3 agent), its haproxy, the metadata agent's
  // socket and nova's metadata API, each in its own container. (The instance itself has no OS.)
  const agentHost = inClient('openstack network agent list --agent-type open-vswitch -f value -c Host', 120_000).trim().split('\n')[0]!;
  const probe = inClient(
    `openstack port create --network e2e-net --device-owner compute:nova --device ${serverId} --host ${agentHost} --disable-port-security e2e-probe -f json -c id -c mac_address -c fixed_ips`,
    120_000,
  );
  const p = JSON.parse(probe) as { id: string; mac_address: string; fixed_ips: { ip_address: string }[] };
  const probeIp = p.fixed_ips[0]!.ip_address;
  onNode(['sh', '-s'], [
    'set -e',
    'ip netns add e2e-client',
    `ovs-vsctl add-port br-int e2e-probe -- set Interface e2e-probe type=internal external_ids:iface-id=${p.id} external_ids:attached-mac=${p.mac_address} external_ids:iface-status=active`,
    'ip link set e2e-probe netns e2e-client',
    'ip -n e2e-client link set lo up',
    `ip -n e2e-client link set e2e-probe address ${p.mac_address}`,
    'ip -n e2e-client link set e2e-probe up',
    `ip -n e2e-client addr add ${probeIp}/24 dev e2e-probe`,
    'ip -n e2e-client route add default via 198.19.250.1',
  ].join('\n'));
  // The namespace made on the node is in the L3 agent's container too (shared /run/netns),
  // which has python3; retried while the agent wires the new port.
  const fetchScript = [
    'import time, urllib.request',
    'for i in range(30):',
    '    try:',
    '        r = urllib.request.urlopen("http://169.254.169.254/openstack/latest/meta_data.json", timeout=10)',
    '        print(r.status, r.read().decode())',
    '        break',
    '    except Exception as e:',
    '        last = e',
    '        time.sleep(2)',
    'else:',
    '    print("failed", last)',
  ].join('\n');
  const meta = onNode(['docker', 'exec', '-i', 'cairn-neutron-l3-agent', 'ip', 'netns', 'exec', 'e2e-client', 'python3', '-'], fetchScript);
  t.regex(meta, /^200 /, meta);
  t.true(meta.includes(`"uuid": "${serverId}"`), meta);
  onNode(['sh', '-c', 'ip netns delete e2e-client; ovs-vsctl --if-exists del-port br-int e2e-probe']);
  inClient(
    [
      'openstack port delete e2e-probe',
      'openstack server delete --wait e2e-vm',
      'openstack router remove subnet e2e-router e2e-subnet',
      'openstack router delete e2e-router',
      'openstack network delete e2e-net',
      'openstack flavor delete e2e-tiny',
      'openstack image delete e2e-zero',
    ].join('\n'),
    300_000,
  );
  t.notRegex(onNode(['virsh', 'list', '--all', '--name']), new RegExp(`^${instance}$`, 'm'));
});

serial('a re-run with nothing changed restarts nothing', async (t) => {
  const before = containerServices.map((s) => nodeInspect(`cairn-${s.name}`));
  const r = await cairn(['containers', 'deploy', ...files, '--skip-host-side']);
  t.is(r.code, 0, r.err);
  t.regex(r.out, new RegExp(`${containerServices.length} containers, 0 changed`));
  t.regex(r.err, /cairn-keystone: unchanged: cairn-keystone runs cairn\/keystone:/);
  const after = containerServices.map((s) => nodeInspect(`cairn-${s.name}`));
  t.deepEqual(after.map((c) => [c.Id, c.State.StartedAt]), before.map((c) => [c.Id, c.State.StartedAt]));
});

serial('plain `cairn deploy` reads CAIRN_DEPLOY_MODE=containers and converges the same containers (nothing to change here)', async (t) => {
  const before = containerServices.map((s) => nodeInspect(`cairn-${s.name}`));
  const r = await cairn(['deploy', ...files]);
  t.is(r.code, 0, `${r.err}\n${r.out}`);
  t.regex(r.err, /CAIRN_DEPLOY_MODE=containers/);
  t.regex(r.out, new RegExp(`${containerServices.length} containers, 0 changed`));
  t.regex(r.out, /^health: all \d+ checks passed/m, 'deploy ends with the containers-mode health checks');
  const after = containerServices.map((s) => nodeInspect(`cairn-${s.name}`));
  t.deepEqual(after.map((c) => [c.Id, c.State.StartedAt]), before.map((c) => [c.Id, c.State.StartedAt]));
  t.is(await tokenStatus(), 201);
});

serial('upgrade keystone to a new build: new tag serves, tokens still issued', async (t) => {
  tag2 = nextTag('zed', (await listCairnImages(docker)).map((r) => r.tag));
  t.is((await cairn(['images', 'build', '--service', 'keystone', '--tag', tag2])).code, 0);
  const r = await cairn(['upgrade', ...files, '--service', 'keystone', '--tag', tag2]);
  t.is(r.code, 0, r.err);
  t.is(nodeInspect('cairn-keystone').Config.Labels['cairn.image-version'], tag2);
  t.is(nodeInspect('cairn-keystone-previous').Config.Labels['cairn.image-version'], tag1);
  t.is(await tokenStatus(), 201);
  t.regex(await verifyGreen(t), new RegExp(`cairn-keystone:${tag2},`));
});

serial('upgrade to a deliberately broken build: refused with its output, the old version keeps serving', async (t) => {
  const broken = nextTag('zed', (await listCairnImages(docker)).map((r) => r.tag));
  brokenTag = broken;
  await buildBrokenKeystone(docker, tag2, broken);
  const r = await cairn(['upgrade', ...files, '--service', 'keystone', '--tag', broken]);
  t.is(r.code, 1);
  t.regex(r.err, /the new version was refused: .*the previous version \(.+\) was put back and serves/);
  t.regex(r.err, /deliberately broken keystone/);
  t.is(nodeInspect('cairn-keystone').Config.Labels['cairn.image-version'], tag2);
  t.is(await tokenStatus(), 201);
  const last = readHistory(historyFileIn(stateDir), 'keystone').at(-1);
  t.is(last?.outcome, 'restored');
  t.is(last?.to, broken);
});

serial('rollback returns keystone to the build before; history tells the story', async (t) => {
  const r = await cairn(['rollback', ...files, '--service', 'keystone']);
  t.is(r.code, 0, r.err);
  t.is(nodeInspect('cairn-keystone').Config.Labels['cairn.image-version'], tag1);
  // The refused build leaves the node now that a later move succeeded; the running and the kept
  // previous version stay.
  t.regex(r.err, new RegExp(`removed cairn/keystone:${brokenTag} `));
  const onNodeTags = onNode(['docker', 'images', '--format', '{{.Tag}}', 'cairn/keystone']).split('\n').filter(Boolean).sort();
  t.deepEqual(onNodeTags, [tag1, tag2].sort());
  t.is(await tokenStatus(), 201);
  t.regex(await verifyGreen(t), new RegExp(`cairn-keystone:${tag1},`));
  const h = await cairn(['history', '--service', 'keystone', '--state-dir', stateDir]);
  t.deepEqual(h.out.split('\n').map((l) => l.split(/\s+/)[1]), ['deploy', 'upgrade', 'upgrade', 'rollback']);
});
