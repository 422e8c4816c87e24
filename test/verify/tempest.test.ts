import test from 'ava';
import { demoSpec } from '../../src/provision/demo-spec.js';
import { countListed, selectionArgs, tempestPreconditions } from '../../src/tempest/run-tempest.js';
import { FEATURES_OFF, tempestConf } from '../../src/tempest/tempest-conf.js';
import { SWIFT_FEATURES } from '../../src/services/swift.js';
import { formatTempestReport, parseTempestLines, shortId, summarize } from '../../src/tempest/tempest-report.js';
import { UsageError } from '../../src/errors.js';
import { exampleDeployment } from '../helpers/example-deployment.js';

/** section -> option -> value, as oslo.config would read the simple lines tempestConf writes. */
function parseIni(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let section: Map<string, string> | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = new Map();
      out.set(s[1]!, section);
      continue;
    }
    const kv = /^([\w-]+) = (.*)$/.exec(line);
    if (!kv || !section) throw new Error(`not an option line: ${line}`);
    section.set(kv[1]!, kv[2]!);
  }
  return out;
}

const ids = { imageId: 'img-1', flavorId: 'fl-nano', flavorAltId: 'fl-tiny', publicNetworkId: 'net-pub', networkExtensions: ['router', 'binding', 'agent'] };

test('tempest.conf: the APIs, the admin, the IDs of what provisioning made, the services cairn deployed', (t) => {
  const d = exampleDeployment({ provisionDemo: true });
  const spec = demoSpec(d);
  if ('message' in spec) return t.fail(spec.message);
  const conf = parseIni(tempestConf(d, spec, ids, '/var/lib/cairn/tempest'));
  const get = (s: string, k: string): string | undefined => conf.get(s)?.get(k);
  const ctrl = d.hosts.find((h) => h.name === d.controller)!;
  t.is(get('identity', 'uri_v3'), `http://${ctrl.address}:5000/v3`);
  t.is(get('identity', 'region'), d.keystone.region);
  t.is(get('auth', 'admin_username'), d.keystone.adminUser);
  t.is(get('auth', 'admin_password'), d.keystone.adminPassword);
  t.is(get('compute', 'image_ref'), 'img-1');
  t.is(get('compute', 'flavor_ref'), 'fl-nano');
  t.is(get('compute', 'flavor_ref_alt'), 'fl-tiny');
  t.is(get('compute', 'min_compute_nodes'), String(d.hosts.filter((h) => h.roles.includes('compute')).length));
  t.is(get('network', 'public_network_id'), 'net-pub');
  t.is(get('network', 'floating_network_name'), spec.external.network);
  // The extensions Neutron lists, not Tempest's "all" (which expects metering and dvr).
  t.is(get('network-feature-enabled', 'api_extensions'), 'agent,binding,router');
  t.is(get('validation', 'network_for_ssh'), spec.external.network);
  t.is(get('service_available', 'nova'), 'true');
  t.is(get('service_available', 'cinder'), 'false');
  t.is(get('service_available', 'swift'), 'false');
  t.is(get('oslo_concurrency', 'lock_path'), '/var/lib/cairn/tempest/lock');
  // Tempest signs in to the dashboard at <dashboard_url>auth/login/: the web root.
  t.is(get('dashboard', 'dashboard_url'), `http://${ctrl.address}/`);
  const c = parseIni(tempestConf({ ...d, mode: 'containers' }, spec, ids, '/w'));
  t.is(c.get('dashboard')?.get('dashboard_url'), `http://${ctrl.address}/horizon/`);
  // Every feature cairn's cloud lacks is off, and each has its reason.
  for (const [section, opts] of Object.entries(FEATURES_OFF)) {
    for (const [opt, why] of Object.entries(opts)) {
      t.is(get(section, opt), 'false', `${section}.${opt}`);
      t.true(why.length > 10);
    }
  }
});

test('tempest.conf with Swift deployed: object storage on, container sync off (no realms)', (t) => {
  const base = exampleDeployment({ provisionDemo: true });
  const d = { ...base, services: { ...base.services, swift: true } };
  const spec = demoSpec(d);
  if ('message' in spec) return t.fail(spec.message);
  const conf = parseIni(tempestConf(d, spec, ids, '/w'));
  t.is(conf.get('service_available')?.get('swift'), 'true');
  t.is(conf.get('object-storage-feature-enabled')?.get('container_sync'), 'false');
  t.is(conf.get('object-storage-feature-enabled')?.get('discoverable_apis'), SWIFT_FEATURES.join(','));
  t.true(SWIFT_FEATURES.includes('formpost') && !SWIFT_FEATURES.includes('container_sync'));
  t.false(parseIni(tempestConf(base, spec, ids, '/w')).has('object-storage-feature-enabled'), 'no section without Swift');
});

test('tempest.conf follows the deployment: Horizon off, a password with $ escaped for oslo.config', (t) => {
  const base = exampleDeployment({ provisionDemo: true });
  const d = { ...base, services: { ...base.services, horizon: false }, keystone: { ...base.keystone, adminPassword: 'pa$s' } };
  const spec = demoSpec(d);
  if ('message' in spec) return t.fail(spec.message);
  const conf = parseIni(tempestConf(d, spec, ids, '/w'));
  t.is(conf.get('service_available')?.get('horizon'), 'false');
  t.false(conf.has('dashboard'));
  t.is(conf.get('auth')?.get('admin_password'), 'pa$$s');
});

test('the selection: smoke by default, a regex instead, never both, never an empty or broken regex', (t) => {
  t.deepEqual(selectionArgs({}), ['--smoke']);
  t.deepEqual(selectionArgs({ smoke: true }), ['--smoke']);
  t.deepEqual(selectionArgs({ regex: 'tempest.api.identity' }), ['--regex', 'tempest.api.identity']);
  t.throws(() => selectionArgs({ smoke: true, regex: 'x' }), { instanceOf: UsageError, message: /--smoke and --regex/ });
  t.throws(() => selectionArgs({ regex: ' ' }), { instanceOf: UsageError, message: /empty/ });
  t.throws(() => selectionArgs({ regex: 'tempest.api.(compute' }), { instanceOf: UsageError, message: /not a regular expression/ });
});

test('the listed tests are counted, the warnings tempest prints around them are not', (t) => {
  const out = [
    '/usr/lib/python3/dist-packages/oslo_policy/policy.py:1: UserWarning: something',
    'tempest.api.compute.servers.test_create_server.ServersTestJSON.test_list_servers[id-9a438d88-10c6-4bcd-8b5b-5b6e25e1346f,smoke]',
    'tempest.scenario.test_network_basic_ops.TestNetworkBasicOps.test_network_basic_ops[compute,id-f323b3ba,network,smoke]',
    'setUpClass (tempest.api.x)',
    '',
  ].join('\n');
  t.is(countListed(out), 2);
  t.is(countListed('WARNING: no tests\n'), 0);
});

test('the report: counts, each failure with the end of its traceback, skips grouped by reason', (t) => {
  const lines = [
    { id: 'tempest.api.a.T.test_one[id-1,smoke]', status: 'success', secs: 1, detail: '' },
    { id: 'tempest.api.a.T.test_two[id-2,smoke]', status: 'fail', secs: 2, detail: 'Traceback (most recent call last):\n  File "x"\nAssertionError: 1 != 2' },
    { id: 'tempest.api.v.V.test_vol[id-3]', status: 'skip', secs: 0, detail: 'Cinder is not available' },
    { id: 'tempest.api.v.V.test_vol2[id-4]', status: 'skip', secs: 0, detail: 'Cinder is not available' },
    { id: 'tempest.api.m.M.test_live[id-5]', status: 'skip', secs: 0, detail: 'Live migration is not available.' },
  ];
  const stdout = ['a warning', ...lines.map((l) => JSON.stringify(l)), '{"not": "a test"}'].join('\n');
  const tests = parseTempestLines(stdout);
  t.is(tests.length, 5);
  const r = summarize(tests, 65_000);
  t.false(r.ok);
  t.is(r.passed, 1);
  t.is(r.failed, 1);
  t.is(r.skipped, 3);
  t.deepEqual(r.failures.map((f) => f.id), ['tempest.api.a.T.test_two']);
  t.deepEqual(r.skips.map((s) => [s.reason, s.tests.length]), [
    ['Cinder is not available', 2],
    ['Live migration is not available.', 1],
  ]);
  const text = formatTempestReport(r);
  t.is(text[0], 'tempest: 1 passed, 1 failed, 3 skipped in 1m 5s');
  t.true(text.includes('FAILED tempest.api.a.T.test_two'));
  t.true(text.includes('    AssertionError: 1 != 2'));
  t.true(text.includes('  2 × Cinder is not available'));
  // A run where nothing ran is not a pass.
  t.false(summarize([], 1).ok);
  t.true(summarize(tests.filter((x) => x.status !== 'fail'), 1).ok);
});

test('ids lose their attribute suffix', (t) => {
  t.is(shortId('tempest.api.a.T.test_x[id-1,smoke]'), 'tempest.api.a.T.test_x');
  t.is(shortId('setUpClass (tempest.api.a.T)'), 'setUpClass (tempest.api.a.T)');
});

test('Tempest without demo provisioning is refused from the deployment alone, before any host', (t) => {
  const d = exampleDeployment({ provisionDemo: false });
  const e = t.throws(() => tempestPreconditions(d), { instanceOf: UsageError });
  t.regex(e?.message ?? '', /set CONFIG_PROVISION_DEMO=y and run cairn deploy/);
  t.notThrows(() => tempestPreconditions(exampleDeployment({ provisionDemo: true })));
});
