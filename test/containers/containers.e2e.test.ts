/**
 * Containers mode end to end on a real lab: a fresh lab of a controller and two computes
 * (systemd + sshd containers); `cairn containers deploy` puts MariaDB, RabbitMQ and memcached
 * (and libvirtd and Open vSwitch) on the hosts (packages-mode steps), installs Docker there,
 * loads the images over SSH and runs Keystone, Glance, Placement, Nova (API, metadata API,
 * conductor, scheduler, noVNC proxy; compute on each compute host), Neutron (server, RPC server,
 * DHCP, L3 and metadata agents on the controller, an OVS agent on every host) and Horizon as
 * containers; then: tokens are issued, the catalog lists the services, every agent is alive; a
 * re-run changes nothing; `cairn deploy` provisions the demo cloud from inside the keystone
 * container, and `cairn verify --workload` boots a real guest on each compute (DHCP and metadata
 * over the tunnels, floating IP, ping and SSH from outside, east-west between the computes);
 * keystone upgrades to a new build; a deliberately broken build is refused and the old one
 * keeps serving; `cairn rollback` returns to the build before.
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
import { planDeployment } from '../../src/deploy/plan-deployment.js';
import { serviceHosts } from '../../src/containers/operations.js';
import type { VerifyReport } from '../../src/verify/run-verify.js';
import type { WorkloadReport } from '../../src/verify/workload.js';
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
/** Which container runs on which host, from the deployment's own placement. */
let placed: { service: string; host: string }[];
let tag1: string;
let tag2: string;
/** The deliberately broken keystone build, removed from this machine's engine at the end. */
let brokenTag: string | undefined;
/** Whether the first containers deploy exited 0: the tests after it build on its containers. */
let deployed = false;

/**
 * Fails a test that needs the first deploy's containers, in one line, when that deploy failed:
 * otherwise each later test adds pages of its own consequent errors and CI's tail of the output
 * no longer reaches the first failure, the one that says what went wrong.
 */
function needsDeploy(t: ExecutionContext): boolean {
  if (!deployed) t.fail('not run: the first containers deploy failed (its own failure is above)');
  return deployed;
}

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

/** `docker inspect` of a container on a lab node (the controller unless named; through the node container). */
function nodeInspect(name: string, host = controllerOf(d).name): { Id: string; State: { StartedAt: string }; Config: { Labels: Record<string, string> } } {
  const out = execFileSync('docker', ['exec', host, 'docker', 'inspect', name], { encoding: 'utf8' });
  return (JSON.parse(out) as never[])[0]!;
}

/** Every placed container's id and start time, to show a run restarted none. */
function everyContainer(): [string, string, string][] {
  return placed.map((p) => {
    const c = nodeInspect(`cairn-${p.service}`, p.host);
    return [`${p.host}/${p.service}`, c.Id, c.State.StartedAt];
  });
}

/** The containers verify expects healthy on `host`, in the row's order. */
function containersOn(host: string): string[] {
  return containerServices.filter((s) => placed.some((p) => p.service === s.name && p.host === host)).map((s) => s.name);
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

serial('a lab of a controller and two computes in containers mode, demo provisioning on', async (t) => {
  execFileSync('sh', [join(repoRoot, 'scripts', 'lab-host-setup.sh')], { stdio: 'ignore' });
  root = mkdtempSync(join(tmpdir(), 'cairn-ctre-'));
  paths = labPaths(root, labName);
  await labUp({ name: labName, root, controllers: 1, computes: 2 });
  // Heat as the lab sets it (on): heat-api, heat-api-cfn and heat-engine in containers, and
  // verify's stack check through the keystone container.
  const answer = readFileSync(paths.answerFile, 'utf8').replace(/^CAIRN_DEPLOY_MODE=.*$/m, 'CAIRN_DEPLOY_MODE=containers');
  t.regex(answer, /^CONFIG_HEAT_INSTALL=y$/m, 'the lab turns Heat on');
  t.regex(answer, /^CONFIG_PROVISION_DEMO=y$/m, 'the lab turns demo provisioning on');
  writeFileSync(paths.answerFile, answer);
  const loaded = loadDeployment({ answerFile: paths.answerFile, answerText: answer, inventoryFile: paths.inventory, inventoryText: readFileSync(paths.inventory, 'utf8') });
  t.truthy(loaded.deployment, JSON.stringify(loaded.problems));
  t.deepEqual(loaded.problems.filter((p) => p.severity === 'warning' && p.key === 'CONFIG_PROVISION_DEMO'), [], 'no warning that containers mode does not provision');
  d = loaded.deployment!;
  const rendered = planDeployment(d).files;
  placed = containerServices.flatMap((s) => serviceHosts(d, s, rendered).map((h) => ({ service: s.name, host: h.name })));
  const computes = d.hosts.filter((h) => h.roles.includes('compute')).map((h) => h.name);
  t.is(computes.length, 2);
  for (const c of computes) t.deepEqual(containersOn(c).sort(), ['neutron-openvswitch-agent', 'nova-compute'], `${c} runs only its compute's containers`);
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

serial('containers deploy: infrastructure, libvirtd and Open vSwitch on the host; keystone, glance, placement, nova, neutron, heat and horizon in containers; tokens issued', async (t) => {
  // The host side installs MariaDB, RabbitMQ, memcached, libvirt, QEMU and Open vSwitch (br-ex)
  // on every host; the computes get Docker and their images; then every container, each health-gated.
  t.timeout(35 * 60_000);
  const r = await cairn(['containers', 'deploy', ...files, '--tag', tag1]);
  t.is(r.code, 0, `${r.out}\n${r.err}`);
  deployed = r.code === 0;
  t.regex(r.out, new RegExp(`${placed.length} containers, ${placed.length} changed`));
  t.regex(r.err, /compute hosts mapped to cell1 \(2\): done/, 'discover-hosts ran once both nova-computes were up');
  t.is(await tokenStatus(), 201);
  const addr = controllerOf(d).address;
  t.true((await fetch(`http://${addr}:9292/`)).status < 400, 'glance answers');
  t.is((await fetch(`http://${addr}:8778/`)).status, 200, 'placement answers');
  // cairn verify: the host side's units and clock, the three containers healthy, and their
  // APIs through the real openstack client (token, every catalog endpoint, an image upload).
  const table = await verifyGreen(t);
  for (const h of d.hosts) {
    const names = containersOn(h.name);
    t.regex(table, new RegExp(`^containers\\s+${h.name}\\s+ok\\s+${names.length} healthy: ${names.map((x) => `cairn-${x}:${tag1}`).join(', ')}`, 'm'), h.name);
  }
  const endpoints = table.split('\n').find((l) => l.startsWith('endpoints')) ?? '';
  for (const type of ['identity', 'image', 'placement', 'compute', 'network', 'orchestration', 'cloudformation']) t.regex(endpoints, new RegExp(type));
  // Heat in its containers: a stack made of a network and a random string, created and deleted.
  t.regex(table, /^heat-stack\s+\S+\s+ok\s/m);
  t.is((await fetch(`http://${addr}:6080/vnc_lite.html`)).status, 200, 'the noVNC console proxy serves');
  // Debian's web root /horizon: the site's root redirects there, and the login page is there.
  const root = await fetch(`http://${addr}/`);
  t.is(root.status, 200, 'the dashboard\'s root URL (the one deploy prints) ends on a page');
  t.regex(root.url, /\/horizon\/auth\/login\//);
  t.regex(await root.text(), /id_username/, 'with the login form');
  // Signed in: redirected into the dashboard (/horizon/, then /project/); a failed sign-in
  // answers 200 with the form again.
  const landing = await dashboardLogin(`http://${addr}/horizon`);
  t.regex(landing, /^\/\S*$/, `the admin signs in to the dashboard (Horizon reaches Keystone): ${landing}`);
  t.notRegex(landing, /auth\/login/);
  // The controller's OVS, DHCP, L3 and metadata agents, and each compute's OVS agent.
  t.regex(table, /^network-agents\s+\S+\s+ok\s+6 agents alive/m);
});

/** Runs argv on the controller; its stdout. */
function onNode(argv: string[], input?: string): string {
  return execFileSync('docker', ['exec', '-i', controllerOf(d).name, ...argv], { encoding: 'utf8', timeout: 120_000, ...(input !== undefined ? { input } : {}) });
}

serial('a re-run with nothing changed restarts nothing', async (t) => {
  if (!needsDeploy(t)) return;
  const before = everyContainer();
  const r = await cairn(['containers', 'deploy', ...files, '--skip-host-side']);
  t.is(r.code, 0, r.err);
  t.regex(r.out, new RegExp(`${placed.length} containers, 0 changed`));
  t.regex(r.err, /cairn-keystone: unchanged: cairn-keystone runs cairn\/keystone:/);
  t.deepEqual(everyContainer(), before);
});

serial('plain `cairn deploy` reads CAIRN_DEPLOY_MODE=containers, converges the same containers (nothing to change) and provisions the demo cloud from the keystone container', async (t) => {
  if (!needsDeploy(t)) return;
  t.timeout(15 * 60_000);
  const before = everyContainer();
  const r = await cairn(['deploy', ...files]);
  t.is(r.code, 0, `${r.err}\n${r.out}`);
  t.regex(r.err, /CAIRN_DEPLOY_MODE=containers/);
  t.regex(r.out, new RegExp(`${placed.length} containers, 0 changed`));
  t.regex(r.out, /^demo provisioning in [\d.]+ s: made .*image cairn-guest.*router router1/m, r.out);
  t.regex(r.out, /^health: all \d+ checks passed/m, 'deploy ends with the containers-mode health checks');
  t.deepEqual(everyContainer(), before);
  t.is(await tokenStatus(), 201);
  t.true(JSON.parse(readFileSync(join(stateDir, 'runs', 'latest', 'provision.json'), 'utf8')).ok, 'provision.json kept in the run directory');
  // Packstack's keystonerc_demo on the controller, as in packages mode.
  t.regex(onNode(['cat', '/root/keystonerc_demo']), /OS_USERNAME=.?demo/);
  // The router's and the network's namespaces are the host's (the agents share /run/netns).
  const namespaces = onNode(['ip', 'netns', 'list']);
  t.regex(namespaces, /^qrouter-/m);
  t.regex(namespaces, /^qdhcp-/m);
  // A second run finds the stamp: provisioning is skipped.
  const again = await cairn(['deploy', ...files, '--no-verify']);
  t.is(again.code, 0, again.err);
  t.regex(again.out, /^demo provisioning: unchanged since the last run$/m);
});

serial('verify --workload: a guest on each compute gets DHCP and its key over the tunnels, answers ping and SSH on its floating IP, reaches the other and the router', async (t) => {
  if (!needsDeploy(t)) return;
  t.timeout(15 * 60_000);
  const r = await cairn(['verify', '-a', paths.answerFile, '-i', paths.inventory, '--workload', '--json']);
  const report = JSON.parse(r.out) as VerifyReport & { workload: WorkloadReport };
  t.log(report.workload.results.map((x) => `${x.check} ${x.host} ${x.ok ? 'ok' : 'FAILED'} ${x.detail}`).join('\n'));
  t.is(r.code, 0, JSON.stringify(report.workload.results.filter((x) => !x.ok)));
  const computes = d.hosts.filter((h) => h.roles.includes('compute')).map((h) => h.name).sort();
  for (const step of ['active', 'dhcp', 'metadata', 'floating-ip', 'ping-external', 'ssh-external', 'ping-east-west', 'ping-router']) {
    t.deepEqual(report.workload.results.filter((x) => x.check === step && x.ok).map((x) => x.host).sort(), computes, step);
  }
  t.true(report.workload.results.some((x) => x.check === 'clean' && x.ok && /deleted server/.test(x.detail)));
  t.log(`workload check (containers mode): ${(report.workload.ms / 1000).toFixed(1)} s`);
});

serial('upgrade keystone to a new build: new tag serves, tokens still issued', async (t) => {
  if (!needsDeploy(t)) return;
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
  if (!needsDeploy(t)) return;
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
  if (!needsDeploy(t)) return;
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
