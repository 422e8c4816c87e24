/**
 * Swift's descriptor: files on the storage host (the controller) only, the proxy's Keystone
 * auth, the storage servers' directory devices, the ring script, and what validate says about
 * what cairn does not do yet.
 */
import test from 'ava';
import type { Deployment } from '../../src/config/model.js';
import { loadDeployment } from '../../src/config/deployment.js';
import { formatProblem } from '../../src/config/problems.js';
import { renderFiles } from '../../src/render/render-files.js';
import { allServices } from '../../src/services/index.js';
import { catalogSpec } from '../../src/services/bootstrap-commands.js';
import { ringScript } from '../../src/services/swift.js';
import { secretsOf } from '../../src/config/secrets.js';
import { exampleDeployment } from '../helpers/example-deployment.js';

function withSwift(d: Deployment = exampleDeployment()): Deployment {
  return { ...d, services: { ...d.services, swift: true } };
}

test('swift\'s five files go on the controller only', (t) => {
  const files = renderFiles(withSwift(), allServices).filter((f) => f.path.startsWith('/etc/swift/'));
  t.deepEqual(files.map((f) => `${f.host}:${f.path}`).sort(), [
    'ctrl1:/etc/swift/account-server.conf', 'ctrl1:/etc/swift/container-server.conf', 'ctrl1:/etc/swift/object-server.conf',
    'ctrl1:/etc/swift/proxy-server.conf', 'ctrl1:/etc/swift/swift.conf',
  ]);
  t.false(renderFiles(exampleDeployment(), allServices).some((f) => f.path.startsWith('/etc/swift/')), 'nothing with Swift off');
});

test('the proxy authenticates with Keystone and the servers keep data in directories', (t) => {
  const files = renderFiles(withSwift(), allServices);
  const conf = (p: string): string => files.find((f) => f.path === p)!.content;
  const proxy = conf('/etc/swift/proxy-server.conf');
  t.regex(proxy, /^pipeline = .* authtoken keystoneauth .* proxy-server$/m);
  t.regex(proxy, /^bind_ip = 198\.18\.10\.11$/m);
  t.regex(proxy, /\[filter:authtoken\][^[]*username = swift\npassword = swift-ks-secret\ndelay_auth_decision = True/);
  t.regex(proxy, /^operator_roles = admin, member$/m);
  // Every filter the pipeline names is defined.
  const pipeline = /^pipeline = (.*)$/m.exec(proxy)![1]!.split(' ');
  for (const name of pipeline.filter((n) => n !== 'proxy-server')) t.regex(proxy, new RegExp(`^\\[filter:${name}\\]$`, 'm'), name);
  t.regex(conf('/etc/swift/swift.conf'), /^swift_hash_path_suffix = swift-hash-secret$/m);
  for (const [ring, port] of [['account', 6202], ['container', 6201], ['object', 6200]] as const) {
    const server = conf(`/etc/swift/${ring}-server.conf`);
    t.regex(server, new RegExp(`^bind_port = ${port}$`, 'm'), ring);
    t.regex(server, /^devices = \/srv\/node\nmount_check = false$/m, ring);
    t.regex(server, new RegExp(`^pipeline = healthcheck recon ${ring}-server$`, 'm'), ring);
  }
});

test('the ring script makes each builder once, adds the device once, and tolerates rebalance\'s warning', (t) => {
  const s = ringScript('198.18.10.11', 1);
  for (const [ring, port] of [['account', 6202], ['container', 6201], ['object', 6200]] as const) {
    t.true(s.includes(`[ -f ${ring}.builder ] || swift-ring-builder ${ring}.builder create 10 1 1`), ring);
    t.true(s.includes(`if ! swift-ring-builder ${ring}.builder search --ip 198.18.10.11 --port ${port} --device swiftloopback`), ring);
    t.true(s.includes(`swift-ring-builder ${ring}.builder set_info --yes --device swiftloopback --change-ip 198.18.10.11 --change-port ${port}`), ring);
    t.true(s.includes(`swift-ring-builder ${ring}.builder add --region 1 --zone 1 --ip 198.18.10.11 --port ${port} --device swiftloopback --weight 100`), ring);
    t.true(s.includes(`swift-ring-builder ${ring}.builder rebalance >/dev/null 2>&1 || [ $? -eq 1 ]`), ring);
  }
  t.regex(s, /install -d -o swift -g swift -m 0750 \/srv\/node \/srv\/node\/swiftloopback$/);
  // The rings become swift's; the .conf files (secrets, root:swift 0640) keep their owner.
  t.regex(s, /^chown -R swift:swift \/etc\/swift\/backups \/etc\/swift\/account\.builder \/etc\/swift\/account\.ring\.gz /m);
  t.notRegex(s, /chown -R swift:swift \/etc\/swift( |$)/m);
});

test('Swift\'s files are read by configparser, not oslo.config: % doubled, $ kept, as written', (t) => {
  const d = withSwift();
  const files = renderFiles({ ...d, swift: { ...d.swift, ksPassword: 'pa$s%word', hash: 'h%sh$' } }, allServices);
  const conf = (p: string): string => files.find((f) => f.path === p)!.content;
  t.regex(conf('/etc/swift/proxy-server.conf'), /^password = pa\$s%%word$/m);
  t.regex(conf('/etc/swift/swift.conf'), /^swift_hash_path_suffix = h%%sh\$$/m);
});

test('the catalog has the object-store endpoint per project account, and the ResellerAdmin role', (t) => {
  const d = withSwift();
  const spec = catalogSpec(d, allServices.filter((s) => s.enabled(d)));
  t.deepEqual(spec.services.filter((s) => s.type === 'object-store').map((s) => s.urls.public), ['http://198.18.10.11:8080/v1/AUTH_%(project_id)s']);
  t.true(spec.roles.includes('ResellerAdmin'));
});

const BASE = ['[general]', 'CONFIG_DEFAULT_PASSWORD=secret-secret', 'CONFIG_CONTROLLER_HOST=198.18.10.11', 'CONFIG_COMPUTE_HOSTS=198.18.10.21', 'CONFIG_SWIFT_INSTALL=y'];
function problems(extra: string[]): string[] {
  return loadDeployment({ answerFile: 'a.ini', answerText: [...BASE, ...extra, ''].join('\n') }).problems.map(formatProblem);
}

test('validate: what cairn does not do with Swift yet is an error naming the key and its line', (t) => {
  t.deepEqual(problems(['CONFIG_STORAGE_HOST=198.18.10.99']).filter((p) => p.includes('CONFIG_STORAGE_HOST')), [
    'a.ini:6: CONFIG_STORAGE_HOST: 198.18.10.99 is not one of the deployment\'s hosts (198.18.10.11, 198.18.10.21); leave this empty for the controller',
  ]);
  t.deepEqual(problems(['CONFIG_STORAGE_HOST=198.18.10.21']).filter((p) => p.includes('CONFIG_STORAGE_HOST')), [
    'a.ini:6: CONFIG_STORAGE_HOST: cairn puts Swift\'s storage on the controller (198.18.10.11) so far, not on 198.18.10.21; leave this empty or set it to the controller',
  ]);
  t.deepEqual(problems(['CONFIG_STORAGE_HOST=198.18.10.11']).filter((p) => p.includes('CONFIG_STORAGE_HOST')), []);
  t.true(problems(['CONFIG_SWIFT_STORAGES=/dev/vdb']).some((p) => p.startsWith('a.ini:6: CONFIG_SWIFT_STORAGES: Swift on block devices is not implemented')));
  t.true(problems(['CONFIG_SWIFT_STORAGE_REPLICAS=3']).some((p) => p.startsWith('a.ini:6: CONFIG_SWIFT_STORAGE_REPLICAS: 3 copies need as many devices')));
  t.true(problems(['CAIRN_DEPLOY_MODE=containers']).some((p) => p.includes('CONFIG_SWIFT_INSTALL: Swift runs in packages mode only so far')));
  t.true(problems(['CONFIG_SWIFT_STORAGE_SIZE=lots']).some((p) => p.startsWith("a.ini:6: CONFIG_SWIFT_STORAGE_SIZE: expected a size such as 2G or 500M, got 'lots'")));
  t.false(problems(['CONFIG_SWIFT_STORAGE_SIZE=2G']).some((p) => p.includes('CONFIG_SWIFT_STORAGE_SIZE')), 'Packstack\'s default says nothing');
  t.true(problems(['CONFIG_SWIFT_STORAGE_SIZE=20G']).some((p) => p.startsWith('warning: a.ini:6: CONFIG_SWIFT_STORAGE_SIZE: cairn stores Swift\'s one device as a directory')));
  t.false(problems([]).some((p) => !p.startsWith('warning')), 'the base file is valid');
});

test('the new secrets are masked by value, and Heat\'s key must be set one way or another', (t) => {
  const d = { ...withSwift(), services: { ...withSwift().services, heat: true } };
  const secrets = secretsOf(d);
  for (const v of ['swift-ks-secret', 'swift-hash-secret', 'heat-db-secret', 'heat-ks-secret', 'heat-domain-secret', '0123456789abcdef0123456789abcdef']) t.true(secrets.includes(v), v);
  const noDefault = ['[general]', 'CONFIG_CONTROLLER_HOST=198.18.10.11', 'CONFIG_HEAT_INSTALL=y', ''].join('\n');
  const p = loadDeployment({ answerFile: 'b.ini', answerText: noDefault }).problems.map(formatProblem);
  t.true(p.some((x) => x.startsWith('b.ini: CONFIG_HEAT_AUTH_ENC_KEY: is not set, and CONFIG_DEFAULT_PASSWORD is empty')), p.join('\n'));
  const ascii = loadDeployment({ answerFile: 'c.ini', answerText: [...BASE, 'CONFIG_HEAT_INSTALL=y', `CONFIG_HEAT_AUTH_ENC_KEY=${'é'.repeat(16)}`, ''].join('\n') }).problems.map(formatProblem);
  t.true(ascii.some((x) => x.includes('CONFIG_HEAT_AUTH_ENC_KEY: expected printable ASCII')), ascii.join('\n'));
});

test('a changed file restarts the Swift units of its host\'s OS family (RDO names them openstack-swift-*)', (t) => {
  const d = withSwift();
  const rhel = { ...d, hosts: d.hosts.map((h) => ({ ...h, osFamily: 'rhel' as const })) };
  const restarts = (dep: Deployment, path: string): string[] => renderFiles(dep, allServices).find((f) => f.path === path)!.restarts;
  t.deepEqual(restarts(d, '/etc/swift/object-server.conf'), ['swift-object', 'swift-object-updater']);
  t.deepEqual(restarts(rhel, '/etc/swift/object-server.conf'), ['openstack-swift-object', 'openstack-swift-object-updater']);
  t.deepEqual(restarts(rhel, '/etc/swift/proxy-server.conf'), ['openstack-swift-proxy']);
  t.is(restarts(d, '/etc/swift/swift.conf').length, 7);
});

test('CONFIG_GLANCE_BACKEND=swift: glance-api stores in Swift\'s container glance, its credentials in the reference file (configparser escaping)', (t) => {
  const base = withSwift();
  const d: Deployment = { ...base, glance: { ...base.glance, backend: 'swift', ksPassword: 'gl%nce' } };
  const files = renderFiles(d, allServices);
  const api = files.find((f) => f.path === '/etc/glance/glance-api.conf')!.content;
  t.regex(api, /^enabled_backends = swift:swift$/m);
  t.regex(api, /^default_backend = swift$/m);
  t.regex(api, /\[swift\]\n(#.*\n)*swift_store_container = glance\nswift_store_create_container_on_put = true\ndefault_swift_reference = ref1\nswift_store_config_file = \/etc\/glance\/glance-swift-store\.conf\n/);
  t.false(api.includes('filesystem_store_datadir'));
  const ref = files.find((f) => f.path === '/etc/glance/glance-swift-store.conf')!;
  t.is(`${ref.mode} ${ref.owner}:${ref.group}`, '0640 root:glance');
  t.regex(ref.content, /\[ref1\]\nauth_version = 3\nauth_address = http:\/\/198\.18\.10\.11:5000\/v3\nuser = service:glance\nkey = gl%%nce\n/);
  t.false(renderFiles(withSwift(), allServices).some((f) => f.path === '/etc/glance/glance-swift-store.conf'), 'none with the file store');
});
