/**
 * desiredContainer over the real rendered files of the example deployment: which hosts get
 * which containers, where the files go, and that the config hash follows the file contents.
 */
import test from 'ava';
import { amqpHealthTest, configHash, containerName, desiredContainer, oneShotSpec } from '../../src/containers/desired.js';
import { imageRef, nextTag, parseTag, sortTags } from '../../src/containers/images.js';
import {
  CONTAINER_CONFIG_DIR,
  containerService,
  containerServices,
  horizonContainer,
  imageOwners,
  glanceApiContainer,
  keystoneContainer,
  novaApiContainer,
  novaComputeContainer,
  novaConductorContainer,
  neutronServerContainer,
  placementApiContainer,
} from '../../src/containers/services.js';
import { LABELS, bindString, createOptions } from '../../src/containers/spec.js';
import { renderFiles } from '../../src/render/render-files.js';
import { allServices } from '../../src/services/index.js';
import { exampleDeployment } from '../helpers/example-deployment.js';

const d = exampleDeployment();
const rendered = renderFiles(d, allServices);
const [ctrl, cmp1] = d.hosts;

test('control and network services run on the control+network host only, nova-compute on the computes only, the OVS agent on both; Heat only when installed', (t) => {
  for (const s of containerServices) {
    const onCtrl = s.name !== 'nova-compute' && s.descriptor.name !== 'heat';
    const onCompute = s.name === 'nova-compute' || s.name === 'neutron-openvswitch-agent';
    t.is(desiredContainer(s, ctrl!, rendered, 'zed-1') !== undefined, onCtrl, `${s.name} on ctrl1`);
    t.is(desiredContainer(s, cmp1!, rendered, 'zed-1') !== undefined, onCompute, `${s.name} on cmp1`);
  }
});

test('with CONFIG_HEAT_INSTALL=y: heat-api, heat-api-cfn and heat-engine on the controller, none on a compute', (t) => {
  const withHeat = exampleDeployment({ services: { ...d.services, heat: true } });
  const files = renderFiles(withHeat, allServices);
  const heat = containerServices.filter((s) => s.descriptor.name === 'heat');
  t.deepEqual(heat.map((s) => s.name), ['heat-api', 'heat-api-cfn', 'heat-engine']);
  for (const s of heat) {
    t.truthy(desiredContainer(s, ctrl!, files, 'zed-1'), `${s.name} on ctrl1`);
    t.is(desiredContainer(s, cmp1!, files, 'zed-1'), undefined, `${s.name} not on cmp1`);
  }
});

test('neutron agents: root with privsep\'s capabilities, the host OVS sockets; netns shared both ways for DHCP and L3; one state directory for the socket the proxies use', (t) => {
  const binds = (name: string, host = ctrl!): string[] => desiredContainer(containerService(name)!, host, rendered, 'zed-1')!.spec.binds.slice(1).map(bindString);
  t.deepEqual(binds('neutron-openvswitch-agent'), ['/run/openvswitch:/run/openvswitch']);
  t.deepEqual(binds('neutron-openvswitch-agent', cmp1!), ['/run/openvswitch:/run/openvswitch']);
  for (const name of ['neutron-dhcp-agent', 'neutron-l3-agent']) {
    t.deepEqual(binds(name), ['/run/openvswitch:/run/openvswitch', '/run/netns:/run/netns:shared', '/var/lib/neutron:/var/lib/neutron'], name);
  }
  t.deepEqual(binds('neutron-metadata-agent'), ['/var/lib/neutron:/var/lib/neutron']);
  const dhcp = desiredContainer(containerService('neutron-dhcp-agent')!, ctrl!, rendered, 'zed-1')!;
  // Both make namespaces and set their sysctls: /proc/sys writable, Docker's other paths kept.
  for (const name of ['neutron-dhcp-agent', 'neutron-l3-agent', 'neutron-openvswitch-agent', 'neutron-metadata-agent']) {
    const spec = desiredContainer(containerService(name)!, ctrl!, rendered, 'zed-1')!.spec;
    const writable = name === 'neutron-dhcp-agent' || name === 'neutron-l3-agent';
    t.is(spec.procSysWritable, writable, name);
    t.deepEqual(createOptions(spec).HostConfig.ReadonlyPaths, writable ? ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sysrq-trigger'] : undefined, name);
  }
  t.is(dhcp.spec.user, 'root');
  t.deepEqual(dhcp.spec.capAdd, ['DAC_READ_SEARCH', 'NET_ADMIN', 'SYS_ADMIN', 'SYS_PTRACE']);
  t.deepEqual(dhcp.spec.command, ['neutron-dhcp-agent', '--config-file', '/etc/neutron/neutron.conf', '--config-file', '/etc/neutron/dhcp_agent.ini']);
  t.deepEqual(dhcp.files.map((f) => f.servicePath), ['/etc/neutron/neutron.conf', '/etc/neutron/dhcp_agent.ini']);
  // The host's OVS sockets are bound, never created; the state directory is made; /run/netns
  // is made a shared mount point (root's, as ip netns makes it).
  // /var/lib/neutron is 0755 as Debian leaves it: dnsmasq, as nobody, re-reads its hosts file there.
  t.deepEqual(dhcp.dirs.map((x) => `${x.path} ${x.mode} ${x.owner} ${x.shared === true}`), ['/etc/cairn/containers/neutron-dhcp-agent 0750 0 false', '/var/lib/neutron 0755 42435 false', '/run/netns 0755 0 true']);
  // The compute host's OVS agent reads the compute host's file (no bridge mappings there).
  const ovs = desiredContainer(containerService('neutron-openvswitch-agent')!, cmp1!, rendered, 'zed-1')!;
  const own = rendered.find((f) => f.host === 'cmp1' && f.path === '/etc/neutron/plugins/ml2/openvswitch_agent.ini')!;
  t.is(ovs.files.find((f) => f.servicePath === own.path)!.content, own.content);
  t.false(own.content.includes('bridge_mappings'));
  t.deepEqual(dhcp.spec.healthcheck.test, amqpHealthTest(5672));
});

test('horizon: Apache as root on port 80 (it drops to www-data), the two rendered files, the login page as health', (t) => {
  const h = desiredContainer(horizonContainer, ctrl!, rendered, 'zed-1')!;
  t.is(h.spec.user, 'root');
  t.deepEqual(h.files.map((f) => f.servicePath), ['/etc/openstack-dashboard/local_settings.py', '/etc/apache2/sites-available/openstack-dashboard.conf']);
  // www-data (33) reads local_settings.py through its group, as in packages mode.
  t.true(h.files.every((f) => f.group === '33' && f.mode === '0640'));
  // Debian's web root, /horizon, which the image's compressed static files were built for.
  t.is(h.spec.healthcheck.test.at(-1), 'http://127.0.0.1:80/horizon/auth/login/');
  t.is(desiredContainer(horizonContainer, cmp1!, rendered, 'zed-1'), undefined);
});

test('nova-compute: root with privsep\'s capabilities (the host libvirtd socket, VIFs), /var/lib/nova shared at the same path, 0755 for QEMU; its own nova.conf', (t) => {
  const c = desiredContainer(novaComputeContainer, cmp1!, rendered, 'zed-1')!;
  t.is(c.spec.user, 'root');
  t.deepEqual(c.spec.capAdd, ['DAC_READ_SEARCH', 'NET_ADMIN', 'SYS_ADMIN']);
  t.deepEqual(c.spec.binds.map((b) => `${b.host}:${b.container}:${b.readOnly ? 'ro' : 'rw'}`), [
    `/etc/cairn/containers/nova-compute:${CONTAINER_CONFIG_DIR}:ro`,
    '/var/lib/nova:/var/lib/nova:rw',
    '/run/libvirt:/run/libvirt:rw',
    // The host's ptys: the guests' consoles (nova reads the console log from them).
    '/dev/pts:/dev/pts:rw',
  ]);
  // libvirtd's own /run/libvirt is bound, never created or chowned.
  t.deepEqual(c.dirs.map((x) => `${x.path} ${x.mode} ${x.owner}`), ['/etc/cairn/containers/nova-compute 0750 0', '/var/lib/nova 0755 42436', '/var/lib/nova/instances 0755 42436']);
  t.deepEqual(c.files.map((f) => f.servicePath).sort(), ['/etc/nova/nova-compute.conf', '/etc/nova/nova.conf']);
  // The compute host's nova.conf: the one packages mode puts there (no API database).
  const own = rendered.find((f) => f.host === 'cmp1' && f.path === '/etc/nova/nova.conf')!;
  t.is(c.files.find((f) => f.servicePath === '/etc/nova/nova.conf')!.content, own.content);
  t.false(own.content.includes('[api_database]'));
});

test('nova-api answers HTTP; conductor proves itself by its RabbitMQ connection; neither gets extra capabilities', (t) => {
  const apiDesired = desiredContainer(novaApiContainer, ctrl!, rendered, 'zed-1')!;
  // Only the file it reads: a change to a compute-only file must not recreate the API.
  t.deepEqual(apiDesired.files.map((f) => f.servicePath), ['/etc/nova/nova.conf']);
  const api = apiDesired.spec;
  t.is(api.healthcheck.test.at(-1), 'http://127.0.0.1:8774/');
  t.deepEqual(api.capAdd, []);
  t.is(api.user, 'nova');
  const cond = desiredContainer(novaConductorContainer, ctrl!, rendered, 'zed-1')!.spec;
  t.is(cond.healthcheck.test.at(-1), '5672');
  t.regex(cond.healthcheck.test[3]!, /\/proc\/net\/tcp/);
  t.deepEqual(cond.capAdd, []);
});

test('keystone: rendered files under /etc/cairn/containers/keystone, 0640 root:42425, the same bytes as packages mode', (t) => {
  const k = desiredContainer(keystoneContainer, ctrl!, rendered, 'zed-1')!;
  const conf = k.files.find((f) => f.servicePath === '/etc/keystone/keystone.conf')!;
  t.is(conf.hostPath, '/etc/cairn/containers/keystone/keystone.conf');
  t.deepEqual([conf.mode, conf.owner, conf.group], ['0640', '0', '42425']);
  const original = rendered.find((f) => f.host === ctrl!.name && f.path === '/etc/keystone/keystone.conf')!;
  t.is(conf.content, original.content);
  t.is(conf.sha256, original.sha256);
});

test('keystone spec: image, name, host network, ro config and key binds, labels, health on /v3, restart policy', (t) => {
  const s = desiredContainer(keystoneContainer, ctrl!, rendered, 'zed-3')!.spec;
  t.is(s.name, 'cairn-keystone');
  t.is(s.image, 'cairn/keystone:zed-3');
  t.is(s.networkMode, 'host');
  t.deepEqual(
    s.binds.map((b) => `${b.host}:${b.container}:${b.readOnly ? 'ro' : 'rw'}`),
    [
      `/etc/cairn/containers/keystone:${CONTAINER_CONFIG_DIR}:ro`,
      '/var/lib/cairn/keystone/fernet-keys:/etc/keystone/fernet-keys:ro',
      '/var/lib/cairn/keystone/credential-keys:/etc/keystone/credential-keys:ro',
    ],
  );
  t.is(s.labels[LABELS.service], 'keystone');
  t.is(s.labels[LABELS.version], 'zed-3');
  t.regex(s.labels[LABELS.configHash]!, /^[0-9a-f]{64}$/);
  t.is(s.healthcheck.test.at(-1), 'http://127.0.0.1:5000/v3');
  t.deepEqual(s.restartPolicy, { name: 'unless-stopped', maximumRetryCount: 0 });
  t.is(s.user, 'keystone');
});

test('the config hash changes when, and only when, a file of the service changes', (t) => {
  const hashOf = (files: typeof rendered): string => desiredContainer(glanceApiContainer, ctrl!, files, 'zed-1')!.spec.labels[LABELS.configHash]!;
  const before = hashOf(rendered);
  const debug = renderFiles({ ...d, debug: true }, allServices);
  t.not(hashOf(debug), before, 'debug = true changes glance-api.conf');
  const otherService = rendered.map((f) => (f.service === 'nova' ? { ...f, content: `${f.content}#`, sha256: 'f'.repeat(64) } : f));
  t.is(hashOf(otherService), before, "nova's files are not glance's");
  t.is(configHash([{ hostPath: '/a', sha256: '1' }, { hostPath: '/b', sha256: '2' }]), configHash([{ hostPath: '/b', sha256: '2' }, { hostPath: '/a', sha256: '1' }]));
});

test('data directories are owned by the service user (numeric: the user lives in the image)', (t) => {
  const g = desiredContainer(glanceApiContainer, ctrl!, rendered, 'zed-1')!;
  t.deepEqual(g.dirs.map((x) => `${x.path} ${x.mode} ${x.owner}:${x.group}`), ['/etc/cairn/containers/glance-api 0750 0:42415', '/var/lib/cairn/glance 0750 42415:42415']);
  const p = desiredContainer(placementApiContainer, ctrl!, rendered, 'zed-1')!;
  t.deepEqual(p.dirs.map((x) => x.path), ['/etc/cairn/containers/placement-api']);
});

test('a one-shot (migration) runs as root with writable data binds, config still read-only, no restart', (t) => {
  const k = desiredContainer(keystoneContainer, ctrl!, rendered, 'zed-1')!;
  const o = oneShotSpec(k, ['keystone-manage', 'db_sync'], 'migrate');
  t.is(o.name, 'cairn-keystone-migrate');
  t.is(o.user, 'root');
  t.deepEqual(o.binds.map((b) => b.readOnly), [true, false, false]);
  t.is(o.restartPolicy.name, 'no');
  t.deepEqual(o.healthcheck.test, ['NONE']);
  t.is(containerName('glance-api'), 'cairn-glance-api');
});

test('image tags: release-build, next build, newest first', (t) => {
  t.is(imageRef('keystone', 'zed-1'), 'cairn/keystone:zed-1');
  t.deepEqual(parseTag('zed-12'), { release: 'zed', build: 12 });
  for (const bad of ['zed', 'zed-0', 'Zed-1', 'zed-1-x', '-1', 'latest']) t.is(parseTag(bad), undefined, bad);
  t.is(nextTag('zed', []), 'zed-1');
  t.is(nextTag('zed', ['zed-1', 'zed-10', 'zed-2', 'antelope-40', 'broken']), 'zed-11');
  t.deepEqual(sortTags(['zed-2', 'zed-10', 'zed-1', 'other']), ['zed-10', 'zed-2', 'zed-1', 'other']);
});

test('neutron-server: uwsgi with the ML2 file on --pyargv, only the two files the server reads (not the agents\')', (t) => {
  const n = desiredContainer(neutronServerContainer, ctrl!, rendered, 'zed-1')!;
  t.deepEqual(n.files.map((f) => f.servicePath), ['/etc/neutron/neutron.conf', '/etc/neutron/plugins/ml2/ml2_conf.ini']);
  const argv = n.spec.command!;
  t.is(argv[argv.indexOf('--pyargv') + 1], '--config-file=/etc/neutron/neutron.conf --config-file=/etc/neutron/plugins/ml2/ml2_conf.ini');
  t.is(n.spec.healthcheck.test.at(-1), 'http://127.0.0.1:9696/');
  t.is(n.spec.user, 'neutron');
});

test("nova-metadata-api runs nova-api's image (Debian ships the metadata API in nova-api), built once", (t) => {
  const m = desiredContainer(containerService('nova-metadata-api')!, ctrl!, rendered, 'zed-3')!;
  t.is(m.spec.image, 'cairn/nova-api:zed-3');
  t.is(m.spec.name, 'cairn-nova-metadata-api');
  t.is(m.spec.healthcheck.test.at(-1), 'http://127.0.0.1:8775/');
  t.deepEqual(m.spec.command?.slice(0, 5), ['uwsgi_python3', '--http-socket', ':8775', '--wsgi-file', '/usr/bin/nova-metadata-wsgi']);
  const owners = imageOwners([novaApiContainer, containerService('nova-metadata-api')!, keystoneContainer]).map((s) => s.name);
  t.deepEqual(owners, ['nova-api', 'keystone']);
  t.deepEqual(imageOwners([containerService('nova-metadata-api')!]).map((s) => s.name), ['nova-api']);
});
