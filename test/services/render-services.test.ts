/**
 * What every service renders, host by host, for the example deployment (1 control+network,
 * 2 computes) and variations of it: placement of files, role-dependent sections, escaping,
 * RHEL paths, modes, determinism.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import type { Deployment } from '../../src/config/model.js';
import { renderFiles, type RenderedFile } from '../../src/render/render-files.js';
import { allServices } from '../../src/services/index.js';
import { exampleDeployment } from '../helpers/example-deployment.js';

function render(d: Deployment = exampleDeployment()): RenderedFile[] {
  return renderFiles(d, allServices);
}

function file(files: RenderedFile[], host: string, path: string): RenderedFile {
  const f = files.find((x) => x.host === host && x.path === path);
  if (!f) throw new Error(`${host}:${path} was not rendered`);
  return f;
}

function paths(files: RenderedFile[], host: string): string[] {
  return files.filter((f) => f.host === host).map((f) => f.path);
}

/** Lines of one INI section (without the header), or undefined when the section is absent. */
function section(content: string, name: string): string[] | undefined {
  const lines = content.split('\n');
  const start = lines.indexOf(`[${name}]`);
  if (start < 0) return undefined;
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('[')) break;
    if (line !== '' && !line.startsWith('#')) out.push(line);
  }
  return out;
}

function rhel(d: Deployment): Deployment {
  return { ...d, hosts: d.hosts.map((h) => ({ ...h, osFamily: 'rhel' as const })) };
}

test('service order is the documented deployment order', (t) => {
  t.deepEqual(
    allServices.map((s) => s.name),
    [
      'chrony', 'repos', 'mariadb', 'rabbitmq', 'memcached', 'keystone', 'glance', 'placement',
      'nova', 'neutron', 'cinder', 'swift', 'heat', 'horizon', 'ovs-network', 'credentials',
    ],
  );
});

test('control+network host gets the control and network files, computes only theirs', (t) => {
  const files = render();
  t.deepEqual(paths(files, 'ctrl1'), [
    '/etc/chrony/chrony.conf',
    '/etc/mysql/mariadb.conf.d/99-openstack.cnf',
    '/etc/rabbitmq/rabbitmq.conf',
    '/etc/rabbitmq/rabbitmq-env.conf',
    '/etc/memcached.conf',
    '/etc/keystone/keystone.conf',
    '/usr/local/lib/cairn/ensure-catalog.py',
    '/etc/default/keystone',
    '/etc/glance/glance-api.conf',
    '/etc/placement/placement.conf',
    '/etc/default/placement-api',
    '/etc/nova/nova.conf',
    '/etc/default/nova-consoleproxy',
    '/etc/default/nova-api',
    '/etc/default/nova-api-metadata',
    '/etc/neutron/neutron.conf',
    '/etc/neutron/plugins/ml2/ml2_conf.ini',
    '/etc/default/neutron-server',
    '/etc/neutron/plugins/ml2/openvswitch_agent.ini',
    '/etc/neutron/l3_agent.ini',
    '/etc/neutron/dhcp_agent.ini',
    '/etc/neutron/metadata_agent.ini',
    '/etc/openstack-dashboard/local_settings.py',
    '/etc/openstack-dashboard/local_settings.d/_0100_cairn_webroot.py',
    '/etc/apache2/sites-available/openstack-dashboard.conf',
    '/etc/network/interfaces.d/cairn-br-ex',
    '/usr/local/lib/cairn/ovs-netdev-addresses.sh',
    '/etc/systemd/system/cairn-ovs-netdev.service',
    '/root/keystonerc_admin',
    '/root/.config/openstack/clouds.yaml',
  ]);
  for (const cmp of ['cmp1', 'cmp2']) {
    t.deepEqual(paths(files, cmp), [
      '/etc/chrony/chrony.conf',
      '/etc/nova/nova.conf',
      '/etc/nova/nova-compute.conf',
      '/etc/neutron/neutron.conf',
      '/etc/neutron/plugins/ml2/openvswitch_agent.ini',
      // netdev computes: the watcher that brings up guests' taps Open vSwitch left down.
      '/usr/local/lib/cairn/netdev-taps.sh',
      '/etc/systemd/system/cairn-netdev-taps.service',
    ]);
  }
});

test('no host gets the same path twice', (t) => {
  for (const d of [exampleDeployment(), rhel(exampleDeployment()), allInOne()]) {
    const keys = render(d).map((f) => `${f.host}:${f.path}`);
    t.is(new Set(keys).size, keys.length);
  }
});

test('rendering is deterministic: same input, same bytes', (t) => {
  const a = render();
  const b = render();
  t.deepEqual(a, b);
  t.deepEqual(render(rhel(exampleDeployment())), render(rhel(exampleDeployment())));
});

test('every file starts with the managed-by line in its own comment syntax', (t) => {
  for (const d of [exampleDeployment({ repos: { ...exampleDeployment().repos, urls: ['http://mirror.test/x'] } }), rhel(exampleDeployment())]) {
    for (const f of render(d)) {
      t.regex(f.content.split('\n')[0] ?? '', /^# Managed by cairn\b/, `${f.host}:${f.path}`);
      t.true(f.content.endsWith('\n'), `${f.host}:${f.path} ends with a newline`);
    }
  }
});

test('control nova.conf has the control sections and no compute ones', (t) => {
  const c = file(render(), 'ctrl1', '/etc/nova/nova.conf').content;
  for (const s of ['api_database', 'database', 'conductor', 'scheduler', 'keystone_authtoken', 'placement', 'neutron', 'vnc']) {
    t.truthy(section(c, s), s);
  }
  t.is(section(c, 'libvirt'), undefined);
  t.deepEqual(section(c, 'api_database'), ['connection = mysql+pymysql://nova:nova-db-secret@198.18.10.11/nova_api']);
  t.true(section(c, 'neutron')?.includes('metadata_proxy_shared_secret = metadata-secret'));
  t.false(c.includes('compute_driver'));
  t.false(c.includes('cpu_allocation_ratio'));
  t.true(c.includes('transport_url = rabbit://openstack:amqp-secret@198.18.10.11:5672/'));
});

test('compute nova.conf has the compute sections and no control ones', (t) => {
  const c = file(render(), 'cmp1', '/etc/nova/nova.conf').content;
  for (const s of ['api_database', 'database', 'conductor', 'scheduler', 'keystone_authtoken']) {
    t.is(section(c, s), undefined, s);
  }
  t.deepEqual(section(c, 'libvirt')?.slice(0, 1), ['virt_type = qemu']);
  t.true(section(c, 'DEFAULT')?.includes('cpu_allocation_ratio = 16'));
  t.true(section(c, 'DEFAULT')?.includes('ram_allocation_ratio = 1.5'));
  t.true(section(c, 'DEFAULT')?.includes('disk_allocation_ratio = 1'));
  t.true(section(c, 'DEFAULT')?.includes('my_ip = 198.18.10.12'));
  t.true(section(c, 'vnc')?.includes('server_proxyclient_address = 198.18.10.12'));
  t.true(section(c, 'vnc')?.includes('novncproxy_base_url = http://198.18.10.11:6080/vnc_auto.html'));
  t.truthy(section(c, 'placement'));
  t.false(c.includes('metadata_proxy_shared_secret'));
  t.false(c.includes('connection ='));
});

function allInOne(): Deployment {
  const d = exampleDeployment();
  const ctrl = d.hosts[0]!;
  return { ...d, hosts: [{ ...ctrl, roles: ['control', 'network', 'compute'] }] };
}

test('a host that is control and compute gets both sets of nova sections in one file', (t) => {
  const files = render(allInOne());
  t.is(files.filter((f) => f.path === '/etc/nova/nova.conf').length, 1);
  const nova = file(files, 'ctrl1', '/etc/nova/nova.conf');
  const c = nova.content;
  for (const s of ['api_database', 'database', 'scheduler', 'keystone_authtoken', 'libvirt', 'placement']) {
    t.truthy(section(c, s), s);
  }
  t.true(c.includes('compute_driver = libvirt.LibvirtDriver'));
  t.true(c.includes('metadata_proxy_shared_secret = metadata-secret'));
  // One [vnc] section that serves both roles.
  t.deepEqual(section(c, 'vnc'), [
    'enabled = true',
    'server_listen = 0.0.0.0',
    'server_proxyclient_address = 198.18.10.11',
    'novncproxy_base_url = http://198.18.10.11:6080/vnc_auto.html',
  ]);
  t.is(c.split('\n').filter((l) => l.startsWith('[')).length, new Set(c.split('\n').filter((l) => l.startsWith('['))).size);
  t.true(nova.restarts.includes('nova-compute'));
  t.true(nova.restarts.includes('nova-api'));
});

test("serviceWorkers 'per-host' leaves the worker options out; a number sets them", (t) => {
  const perHost = file(render(exampleDeployment({ serviceWorkers: 'per-host' })), 'ctrl1', '/etc/nova/nova.conf').content;
  t.false(perHost.includes('osapi_compute_workers'));
  t.false(perHost.includes('metadata_workers'));
  t.is(section(perHost, 'conductor'), undefined);
  const four = file(render(exampleDeployment({ serviceWorkers: 4 })), 'ctrl1', '/etc/nova/nova.conf').content;
  t.true(four.includes('osapi_compute_workers = 4\n'));
  t.true(four.includes('metadata_workers = 4\n'));
  t.deepEqual(section(four, 'conductor'), ['workers = 4']);
});

test("virt_type 'auto' renders kvm with a comment that the deploy decides per host", (t) => {
  const d = exampleDeployment();
  d.nova.virtType = 'auto';
  const c = file(render(d), 'cmp1', '/etc/nova/nova.conf').content;
  t.regex(c, /# virt_type is 'auto': the deploy decides per host[^\n]*\n(#[^\n]*\n)*virt_type = kvm\n/);
  // Once deploy has decided from the host's facts, the decision is rendered without the comment.
  d.hosts[1] = { ...d.hosts[1]!, virtType: 'qemu' };
  const decided = file(render(d), 'cmp1', '/etc/nova/nova.conf').content;
  t.true(decided.includes('\nvirt_type = qemu\n'));
  t.false(decided.includes("'auto'"));
  d.nova.virtType = 'qemu';
  t.false(file(render(d), 'cmp2', '/etc/nova/nova.conf').content.includes("'auto'"));
});

test('Debian computes own an empty nova-compute.conf (the package one would force kvm)', (t) => {
  const f = file(render(), 'cmp1', '/etc/nova/nova-compute.conf');
  t.false(/^\s*[^#\s]/m.test(f.content));
  t.deepEqual(f.restarts, ['nova-compute']);
  t.false(paths(render(rhel(exampleDeployment())), 'cmp1').includes('/etc/nova/nova-compute.conf'));
});

test('Debian uwsgi APIs get the deployment\'s workers as processes, Connection: close where the ini lacks it, and one thread per worker where the app is eventlet-patched', (t) => {
  const files = render();
  const want: Record<string, string> = {
    keystone: ' --processes 2 --add-header Connection:close',
    'nova-api': ' --processes 2 --add-header Connection:close',
    'nova-api-metadata': ' --processes 2 --add-header Connection:close --threads 1',
    // neutron-api's init script is named neutron-api but its NAME (the defaults file) is neutron-server.
    'neutron-server': ' --processes 2 --threads 1',
    'placement-api': ' --processes 2',
  };
  for (const [name, added] of Object.entries(want)) {
    const f = file(files, 'ctrl1', `/etc/default/${name}`);
    t.is(f.mode, '0644');
    // openstack-pkg-tools' init script sources the file after building uwsgi's arguments.
    const args = execFileSync('sh', ['-c', `DAEMON_ARGS='--http-socket :5000 --ini /etc/x.ini'\n${f.content}\nprintf %s "$DAEMON_ARGS"`], { encoding: 'utf8' });
    t.is(args, `--http-socket :5000 --ini /etc/x.ini${added}`, name);
  }
  t.deepEqual(file(files, 'ctrl1', '/etc/default/neutron-server').restarts, ['neutron-api']);
  // CONFIG_SERVICE_WORKERS=%{::processorcount}: the host's CPU count when the init script runs.
  // (glance-api is not among them: Debian runs it on eventlet, with glance-api.conf's workers.)
  t.false(paths(files, 'ctrl1').includes('/etc/default/glance-api'));
  const perHost = file(render({ ...exampleDeployment(), serviceWorkers: 'per-host' }), 'ctrl1', '/etc/default/placement-api');
  const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  t.is(execFileSync('sh', ['-c', `DAEMON_ARGS=''\n${perHost.content}\nprintf %s "$DAEMON_ARGS"`], { encoding: 'utf8' }), ` --processes ${nproc}`);
  t.deepEqual(paths(files, 'cmp1').filter((p) => p.startsWith('/etc/default/')), []);
  // RHEL runs them in httpd; the containers run uwsgi with their own arguments.
  t.false(render(rhel(exampleDeployment())).some((f) => f.path.startsWith('/etc/default/')));
  t.deepEqual(render({ ...exampleDeployment(), mode: 'containers' }).filter((f) => f.path.startsWith('/etc/default/') && f.path !== '/etc/default/nova-consoleproxy').map((f) => f.path), []);
});

test('bridge_mappings only on network hosts; local_ip is each host tunnel address', (t) => {
  const files = render();
  const ctrl = file(files, 'ctrl1', '/etc/neutron/plugins/ml2/openvswitch_agent.ini').content;
  const cmp = file(files, 'cmp1', '/etc/neutron/plugins/ml2/openvswitch_agent.ini').content;
  t.true(section(ctrl, 'ovs')?.includes('bridge_mappings = physnet1:br-ex'));
  t.false(cmp.includes('bridge_mappings'));
  t.true(section(ctrl, 'ovs')?.includes('local_ip = 198.18.10.11'));
  t.true(section(cmp, 'ovs')?.includes('local_ip = 198.18.10.12'));
  t.true(section(cmp, 'ovs')?.includes('datapath_type = netdev'));
  t.deepEqual(section(cmp, 'agent'), ['tunnel_types = vxlan', 'vxlan_udp_port = 4789', 'l2_population = false']);
  t.deepEqual(section(cmp, 'securitygroup'), ['firewall_driver = openvswitch']);
});

test('tunnelInterface with a declared address moves local_ip there; without one, the host address', (t) => {
  const d = exampleDeployment();
  d.neutron.ovs.tunnelInterface = 'eth1';
  const files = render(d);
  t.true(file(files, 'ctrl1', '/etc/neutron/plugins/ml2/openvswitch_agent.ini').content.includes('local_ip = 198.18.20.11\n'));
  // cmp1 declares no eth1 address.
  t.true(file(files, 'cmp1', '/etc/neutron/plugins/ml2/openvswitch_agent.ini').content.includes('local_ip = 198.18.10.12\n'));
});

test('no tunnel types: no local_ip and no tunnel_types', (t) => {
  const d = exampleDeployment();
  d.neutron.ml2.typeDrivers = ['flat', 'vlan'];
  d.neutron.ml2.tenantNetworkTypes = ['vlan'];
  d.neutron.ml2.vlanRanges = [{ physnet: 'physnet1', range: { min: 100, max: 200 } }, { physnet: 'physnet2' }];
  const files = render(d);
  const ovs = file(files, 'cmp1', '/etc/neutron/plugins/ml2/openvswitch_agent.ini').content;
  t.false(ovs.includes('local_ip'));
  t.false(ovs.includes('tunnel_types'));
  const ml2 = file(files, 'ctrl1', '/etc/neutron/plugins/ml2/ml2_conf.ini').content;
  t.deepEqual(section(ml2, 'ml2_type_vlan'), ['network_vlan_ranges = physnet1:100:200,physnet2']);
  t.is(section(ml2, 'ml2_type_vxlan'), undefined);
});

test('ml2_conf.ini on the control host only, with the configured drivers and ranges', (t) => {
  const files = render();
  t.deepEqual(files.filter((f) => f.path.endsWith('ml2_conf.ini')).map((f) => f.host), ['ctrl1']);
  const c = file(files, 'ctrl1', '/etc/neutron/plugins/ml2/ml2_conf.ini').content;
  t.deepEqual(section(c, 'ml2'), [
    'type_drivers = flat,vxlan',
    'tenant_network_types = vxlan',
    'mechanism_drivers = openvswitch',
    'extension_drivers = port_security',
  ]);
  t.deepEqual(section(c, 'ml2_type_flat'), ['flat_networks = *']);
  t.deepEqual(section(c, 'ml2_type_vxlan'), ['vni_ranges = 10:100', 'vxlan_group = 239.1.1.5']);
});

test('neutron.conf: server settings on control, transport and lock path everywhere', (t) => {
  const files = render();
  const ctrl = file(files, 'ctrl1', '/etc/neutron/neutron.conf');
  t.true(ctrl.content.includes('\ncore_plugin = ml2\n'));
  t.true(ctrl.content.includes('\nservice_plugins = router\n'));
  t.truthy(section(ctrl.content, 'nova'));
  t.truthy(section(ctrl.content, 'keystone_authtoken'));
  t.deepEqual(ctrl.restarts, [
    'neutron-api',
    'neutron-rpc-server',
    'neutron-openvswitch-agent',
    'neutron-l3-agent',
    'neutron-dhcp-agent',
    'neutron-metadata-agent',
  ]);
  const cmp = file(files, 'cmp1', '/etc/neutron/neutron.conf');
  t.deepEqual(section(cmp.content, 'DEFAULT'), ['debug = false', 'transport_url = rabbit://openstack:amqp-secret@198.18.10.11:5672/']);
  t.deepEqual(section(cmp.content, 'oslo_concurrency'), ['lock_path = /var/lib/neutron/tmp']);
  t.false(cmp.content.includes('connection'));
  t.deepEqual(cmp.restarts, ['neutron-openvswitch-agent']);
  const meta = file(files, 'ctrl1', '/etc/neutron/metadata_agent.ini').content;
  t.true(meta.includes('nova_metadata_host = 198.18.10.11\n'));
  t.true(meta.includes('metadata_proxy_shared_secret = metadata-secret\n'));
});

test('RHEL: neutron-server is one unit (no neutron-rpc-server)', (t) => {
  const f = file(render(rhel(exampleDeployment())), 'ctrl1', '/etc/neutron/plugins/ml2/ml2_conf.ini');
  t.deepEqual(f.restarts, ['neutron-server']);
});

test('passwords with special characters are percent-encoded in URLs and escaped in INI values', (t) => {
  const d = exampleDeployment();
  d.nova.dbPassword = 'p@ss:w/rd#1%';
  d.amqp.password = 'r@bbit/pw';
  d.nova.ksPassword = 'k$y "x"';
  d.neutron.metadataSecret = ' spaced ';
  const c = file(render(d), 'ctrl1', '/etc/nova/nova.conf').content;
  t.true(c.includes('connection = mysql+pymysql://nova:p%40ss%3Aw%2Frd%231%25@198.18.10.11/nova\n'));
  t.true(c.includes('transport_url = rabbit://openstack:r%40bbit%2Fpw@198.18.10.11:5672/\n'));
  t.true(section(c, 'keystone_authtoken')?.includes('password = k$$y "x"'));
  t.true(c.includes('metadata_proxy_shared_secret = " spaced "\n'));
});

test('horizon vhost keeps WSGIApplicationGroup %{GLOBAL} on both OS families', (t) => {
  const deb = file(render(), 'ctrl1', '/etc/apache2/sites-available/openstack-dashboard.conf').content;
  const el = file(render(rhel(exampleDeployment())), 'ctrl1', '/etc/httpd/conf.d/openstack-dashboard.conf').content;
  for (const c of [deb, el]) {
    t.regex(c, /^\s*WSGIApplicationGroup %\{GLOBAL\}$/m);
    t.regex(c, /^\s*WSGIProcessGroup \S+$/m);
  }
});

test('horizon web root: / in packages mode; Debian\'s /horizon in containers mode, mounted there, the site\'s root redirected to it', (t) => {
  const pkg = render();
  t.regex(file(pkg, 'ctrl1', '/etc/apache2/sites-available/openstack-dashboard.conf').content, /^\s*WSGIScriptAlias \/ \/usr\/share\/openstack-dashboard\/wsgi.py$/m);
  t.notRegex(file(pkg, 'ctrl1', '/etc/apache2/sites-available/openstack-dashboard.conf').content, /RedirectMatch/);
  t.true(file(pkg, 'ctrl1', '/etc/openstack-dashboard/local_settings.py').content.includes(`WEBROOT = '/'\n`));
  const d = exampleDeployment();
  d.mode = 'containers';
  const ctr = render(d);
  const site = file(ctr, 'ctrl1', '/etc/apache2/sites-available/openstack-dashboard.conf').content;
  t.regex(site, /^\s*WSGIScriptAlias \/horizon \/usr\/share\/openstack-dashboard\/wsgi.py$/m);
  t.regex(site, /^\s*RedirectMatch \^\/\$ \/horizon\/$/m);
  t.true(file(ctr, 'ctrl1', '/etc/openstack-dashboard/local_settings.py').content.includes(`WEBROOT = '/horizon/'\n`));
  t.false(ctr.some((f) => f.path.endsWith('_0100_cairn_webroot.py')), 'the image keeps Debian\'s WEBROOT file');
});

test('horizon local_settings: Python literals computed and escaped', (t) => {
  const d = exampleDeployment();
  d.horizon.secretKey = `it's a \\ key`;
  const f = file(render(d), 'ctrl1', '/etc/openstack-dashboard/local_settings.py');
  t.true(f.content.includes(`SECRET_KEY = 'it\\'s a \\\\ key'\n`));
  t.true(f.content.includes(`OPENSTACK_KEYSTONE_URL = 'http://198.18.10.11:5000/v3'\n`));
  t.true(f.content.includes(`OPENSTACK_HOST = '198.18.10.11'\n`));
  t.true(f.content.includes(`'LOCATION': '198.18.10.11:11211',`));
  t.true(f.content.includes(`OPENSTACK_KEYSTONE_DEFAULT_DOMAIN = 'Default'\n`));
  t.deepEqual([f.mode, f.owner, f.group], ['0640', 'root', 'www-data']);
});

test('horizon on Debian: WEBROOT / again after Debian\'s local_settings.d file that moves it to /horizon (the site serves /)', (t) => {
  const files = render();
  const f = file(files, 'ctrl1', '/etc/openstack-dashboard/local_settings.d/_0100_cairn_webroot.py');
  t.regex(f.content, /^WEBROOT = '\/'$/m);
  t.true(file(files, 'ctrl1', '/etc/apache2/sites-available/openstack-dashboard.conf').content.includes('WSGIScriptAlias / '));
  t.false(render(rhel(exampleDeployment())).some((r) => r.path.includes('local_settings.d')));
});

test('credentials: shell-quoted keystonerc and YAML-quoted clouds.yaml, root only', (t) => {
  const d = exampleDeployment();
  d.keystone.adminPassword = `it's $HOME`;
  const files = render(d);
  const rc = file(files, 'ctrl1', '/root/keystonerc_admin');
  t.true(rc.content.includes(`export OS_PASSWORD='it'\\''s $HOME'\n`));
  t.true(rc.content.includes(`export OS_AUTH_URL='http://198.18.10.11:5000/v3'\n`));
  t.true(rc.content.includes(`export OS_PROJECT_NAME='admin'\n`));
  const clouds = file(files, 'ctrl1', '/root/.config/openstack/clouds.yaml');
  t.true(clouds.content.includes(`password: "it's $HOME"\n`));
  for (const f of [rc, clouds]) t.deepEqual([f.mode, f.owner, f.group], ['0600', 'root', 'root']);
});

test('secrets-bearing service files are 0640 root:<service group>', (t) => {
  const files = render();
  const expected: Record<string, string> = {
    '/etc/keystone/keystone.conf': 'keystone',
    '/etc/glance/glance-api.conf': 'glance',
    '/etc/placement/placement.conf': 'placement',
    '/etc/nova/nova.conf': 'nova',
    '/etc/neutron/neutron.conf': 'neutron',
    '/etc/neutron/metadata_agent.ini': 'neutron',
  };
  for (const [path, group] of Object.entries(expected)) {
    const f = file(files, 'ctrl1', path);
    t.deepEqual([f.mode, f.owner, f.group], ['0640', 'root', group], path);
  }
});

test('RHEL-family paths and units', (t) => {
  const files = render(rhel(exampleDeployment()));
  const ctrl = paths(files, 'ctrl1');
  for (const p of [
    '/etc/my.cnf.d/openstack.cnf',
    '/etc/sysconfig/memcached',
    '/etc/httpd/conf.d/wsgi-keystone.conf',
    '/etc/openstack-dashboard/local_settings',
    '/etc/httpd/conf.d/openstack-dashboard.conf',
    '/etc/sysconfig/network-scripts/ifcfg-br-ex',
    '/etc/sysconfig/network-scripts/ifcfg-eth1',
  ]) {
    t.true(ctrl.includes(p), p);
  }
  t.false(ctrl.some((p) => p.startsWith('/etc/mysql/') || p.startsWith('/etc/apache2/') || p.startsWith('/etc/network/')));
  t.deepEqual(file(files, 'ctrl1', '/etc/keystone/keystone.conf').restarts, ['httpd']);
  t.deepEqual(file(files, 'ctrl1', '/etc/placement/placement.conf').restarts, ['httpd']);
  t.true(file(files, 'ctrl1', '/etc/nova/nova.conf').restarts.includes('openstack-nova-novncproxy'));
  t.deepEqual(file(files, 'cmp1', '/etc/nova/nova.conf').restarts, ['openstack-nova-compute']);
  t.true(file(files, 'ctrl1', '/etc/httpd/conf.d/wsgi-keystone.conf').content.includes('Listen 5000\n'));
  t.deepEqual(file(files, 'ctrl1', '/etc/openstack-dashboard/local_settings').group, 'apache');
});

test('ovs-network RHEL: the bridged interface address moves to br-ex; the gateway only when on that subnet', (t) => {
  const d = rhel(exampleDeployment());
  let files = render(d);
  const br = file(files, 'ctrl1', '/etc/sysconfig/network-scripts/ifcfg-br-ex').content;
  t.true(br.includes('DEVICE=br-ex\nDEVICETYPE=ovs\nTYPE=OVSBridge\nONBOOT=yes\nBOOTPROTO=static\nIPADDR=198.18.20.11\nPREFIX=24\n'));
  t.false(br.includes('GATEWAY'), 'gateway 198.18.10.1 is on eth0, not eth1');
  t.true(br.includes(`OVS_EXTRA='set bridge br-ex datapath_type=netdev'\n`));
  const port = file(files, 'ctrl1', '/etc/sysconfig/network-scripts/ifcfg-eth1');
  t.true(port.content.includes('TYPE=OVSPort\nOVS_BRIDGE=br-ex\n'));
  t.true(port.content.includes('BOOTPROTO=none\n'));
  t.deepEqual(port.restarts, []);

  d.hosts[0]!.gateway = '198.18.20.1';
  d.neutron.ovs.datapathType = 'system';
  files = render(d);
  const br2 = file(files, 'ctrl1', '/etc/sysconfig/network-scripts/ifcfg-br-ex').content;
  t.true(br2.includes('GATEWAY=198.18.20.1\n'));
  t.false(br2.includes('OVS_EXTRA'));

  d.hosts[0]!.interfaceAddresses = {};
  const br3 = file(render(d), 'ctrl1', '/etc/sysconfig/network-scripts/ifcfg-br-ex').content;
  t.true(br3.includes('BOOTPROTO=none\n'));
  t.false(br3.includes('IPADDR'));
});

test('ovs-network Debian: ifupdown stanzas for openvswitch-switch, only on network hosts', (t) => {
  const files = render();
  // With no tunnel interface, netdev computes get only the guests' tap watcher; the netdev
  // network host also gets the unit that re-applies the bridge's port and address at boot.
  t.deepEqual(files.filter((f) => f.service === 'ovs-network').map((f) => `${f.host}:${f.path}`), [
    'ctrl1:/etc/network/interfaces.d/cairn-br-ex',
    'ctrl1:/usr/local/lib/cairn/ovs-netdev-addresses.sh',
    'ctrl1:/etc/systemd/system/cairn-ovs-netdev.service',
    'cmp1:/usr/local/lib/cairn/netdev-taps.sh',
    'cmp1:/etc/systemd/system/cairn-netdev-taps.service',
    'cmp2:/usr/local/lib/cairn/netdev-taps.sh',
    'cmp2:/etc/systemd/system/cairn-netdev-taps.service',
  ]);
  const c = file(files, 'ctrl1', '/etc/network/interfaces.d/cairn-br-ex').content;
  t.true(c.includes('allow-ovs br-ex\niface br-ex inet static\n    address 198.18.20.11/24\n    ovs_type OVSBridge\n    ovs_ports eth1\n'));
  t.true(c.includes('    ovs_extra set bridge br-ex datapath_type=netdev\n'));
  t.true(c.includes('allow-br-ex eth1\niface eth1 inet manual\n    ovs_bridge br-ex\n    ovs_type OVSPort\n'));
});

test('repos: nothing without URLs; deb822 on Debian, one .repo section per URL on RHEL', (t) => {
  t.false(render().some((f) => f.service === 'repos'));
  const base = exampleDeployment();
  const d = exampleDeployment({ repos: { ...base.repos, urls: ['http://a.test/deb', 'http://b.test/deb'], gpgcheck: false } });
  const deb = file(render(d), 'cmp1', '/etc/apt/sources.list.d/cairn.sources').content;
  t.true(deb.includes('Types: deb\nURIs: http://a.test/deb http://b.test/deb\nSuites: bookworm\nComponents: main\nTrusted: yes\n'));
  const repo = file(render(rhel(d)), 'cmp1', '/etc/yum.repos.d/cairn.repo');
  t.true(repo.content.includes('[cairn-1]\nname=cairn repository 1\nbaseurl=http://a.test/deb\nenabled=1\ngpgcheck=0\n'));
  t.true(repo.content.includes('[cairn-2]\nname=cairn repository 2\nbaseurl=http://b.test/deb\nenabled=1\ngpgcheck=0\n'));
  t.deepEqual(repo.restarts, []);
  const signed = exampleDeployment({ repos: { ...base.repos, urls: ['http://a.test/el'], gpgcheck: true } });
  t.true(file(render(rhel(signed)), 'cmp1', '/etc/yum.repos.d/cairn.repo').content.includes('gpgcheck=1\n'));
  t.false(file(render(signed), 'cmp1', '/etc/apt/sources.list.d/cairn.sources').content.includes('Trusted'));
});

test("CAIRN_APT_PROXY: apt's proxy file on every Debian host, before the packages; nothing on RHEL family", (t) => {
  const base = exampleDeployment();
  const d = exampleDeployment({ repos: { ...base.repos, aptProxy: 'http://198.18.10.1:3142/' } });
  const files = render(d).filter((f) => f.path === '/etc/apt/apt.conf.d/01cairn-proxy');
  t.deepEqual(files.map((f) => f.host), ['ctrl1', 'cmp1', 'cmp2']);
  for (const f of files) t.regex(f.content, /^Acquire::http::Proxy "http:\/\/198\.18\.10\.1:3142\/";$/m, f.host);
  t.false(render(d).some((f) => f.path === '/etc/apt/sources.list.d/cairn.sources'), 'no extra source without CONFIG_REPO');
  t.false(render(rhel(d)).some((f) => f.path.includes('01cairn-proxy')));
  t.false(render().some((f) => f.path.includes('01cairn-proxy')), 'none without a proxy');
});

test('infrastructure files bind to the control address', (t) => {
  const files = render();
  t.true(file(files, 'ctrl1', '/etc/mysql/mariadb.conf.d/99-openstack.cnf').content.includes('bind-address = 198.18.10.11\n'));
  t.true(file(files, 'ctrl1', '/etc/rabbitmq/rabbitmq.conf').content.includes('listeners.tcp.default = 198.18.10.11:5672\n'));
  t.true(file(files, 'ctrl1', '/etc/rabbitmq/rabbitmq-env.conf').content.includes('NODE_IP_ADDRESS=198.18.10.11\nNODE_PORT=5672\n'));
  t.true(file(files, 'ctrl1', '/etc/memcached.conf').content.includes('-l 198.18.10.11\n'));
});

test('disabled services render nothing', (t) => {
  const base = exampleDeployment();
  const d = exampleDeployment({ services: { ...base.services, horizon: false, glance: false, neutron: false } });
  const files = render(d);
  for (const s of ['horizon', 'glance', 'neutron', 'ovs-network']) {
    t.false(files.some((f) => f.service === s), s);
  }
  t.false(file(files, 'ctrl1', '/etc/nova/nova.conf').content.includes('[neutron]'));
});
