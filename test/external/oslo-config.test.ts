/**
 * Real check of every rendered oslo.config file against the services' own option definitions,
 * from Debian bookworm's Zed packages:
 *   1. `oslo-config-validator` (oslo.config's tool): every option must exist (exit 0);
 *   2. test/external/oslo_values.py: every value must convert to its option's type and choices,
 *      and no option may be deprecated (the validator checks neither).
 * Namespaces per file are the service's own oslo-config-generator list (etc/oslo-config-generator
 * in each project's source), restricted to the `oslo.config.opts` entry points Zed ships, plus
 * the libraries the service registers at run time (keystone's [cache] from oslo.cache).
 *
 * Installs what it needs first (scripts/install-external-checkers.sh), so it is never skipped.
 */
import test from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { renderFiles } from '../../src/render/render-files.js';
import { packageRoot } from '../../src/render/templates.js';
import { allServices } from '../../src/services/index.js';
import { exampleDeployment } from '../helpers/example-deployment.js';

const root = packageRoot();
// Debian's interpreter, where the python3-* packages live (a pyenv python3 on PATH has none).
const PYTHON = '/usr/bin/python3';
const VALIDATOR = '/usr/bin/oslo-config-validator';

const KEYSTONE = ['keystone', 'oslo.log', 'oslo.messaging', 'oslo.db', 'oslo.middleware', 'oslo.policy', 'oslo.cache'];
const GLANCE_API = [
  'castellan.config', 'glance.api', 'glance.store', 'glance.multi_store', 'oslo.concurrency', 'oslo.messaging',
  'oslo.db', 'oslo.policy', 'keystonemiddleware.auth_token', 'oslo.log', 'oslo.middleware.cors',
  'oslo.middleware.healthcheck', 'oslo.middleware.http_proxy_to_wsgi', 'oslo.reports',
];
const PLACEMENT = ['placement.conf', 'keystonemiddleware.auth_token', 'oslo.log', 'oslo.middleware.cors', 'osprofiler'];
const NOVA = [
  'nova.conf', 'oslo.log', 'oslo.messaging', 'oslo.policy', 'oslo.privsep', 'oslo.service.periodic_task',
  'oslo.service.service', 'oslo.middleware', 'oslo.concurrency', 'keystonemiddleware.auth_token', 'osprofiler',
];
const NEUTRON = [
  'neutron', 'neutron.agent', 'neutron.db', 'neutron.experimental', 'neutron.extensions', 'nova.auth',
  'ironic.auth', 'placement.auth', 'oslo.log', 'oslo.cache', 'oslo.db', 'oslo.policy', 'oslo.privsep',
  'oslo.concurrency', 'oslo.messaging', 'oslo.middleware.cors', 'oslo.middleware.healthcheck',
  'oslo.middleware.http_proxy_to_wsgi', 'oslo.reports', 'oslo.service.periodic_task', 'oslo.service.service',
  'oslo.service.sslutils', 'oslo.service.wsgi', 'oslo.versionedobjects', 'keystonemiddleware.auth_token', 'osprofiler',
];
const HEAT = [
  'heat.common.config', 'heat.common.context', 'heat.common.crypt', 'heat.engine.clients.os.keystone.heat_keystoneclient',
  'heat.common.wsgi', 'heat.engine.clients', 'heat.engine.notification', 'heat.engine.resources', 'heat.api.aws.ec2token',
  'keystonemiddleware.auth_token', 'oslo.messaging', 'oslo.middleware', 'oslo.db', 'oslo.log', 'oslo.policy',
  'oslo.service.service', 'oslo.service.periodic_task', 'oslo.service.sslutils', 'osprofiler',
];

// Cinder's own options, and neutron's nova.auth for the password plugin options of cinder.conf's
// [nova] (cinder registers them on that group at run time, so its namespace does not list them).
const CINDER = [
  'cinder', 'nova.auth', 'keystonemiddleware.auth_token', 'oslo.messaging', 'oslo.db', 'oslo.log', 'oslo.concurrency',
  'oslo.policy', 'oslo.middleware', 'oslo.service.service', 'osprofiler',
];

/**
 * Each rendered file to check: host, path on the host, namespaces, and sections checked under
 * another name: a Cinder backend's section (named by enabled_backends) takes the options
 * Cinder lists under backend_defaults.
 */
export const CHECKS: readonly { host: string; path: string; namespaces: readonly string[]; sectionsAs?: Record<string, string> }[] = [
  { host: 'ctrl1', path: '/etc/keystone/keystone.conf', namespaces: KEYSTONE },
  { host: 'ctrl1', path: '/etc/glance/glance-api.conf', namespaces: GLANCE_API },
  { host: 'ctrl1', path: '/etc/placement/placement.conf', namespaces: PLACEMENT },
  { host: 'ctrl1', path: '/etc/nova/nova.conf', namespaces: NOVA },
  { host: 'cmp1', path: '/etc/nova/nova.conf', namespaces: NOVA },
  { host: 'cmp1', path: '/etc/nova/nova-compute.conf', namespaces: NOVA },
  { host: 'ctrl1', path: '/etc/neutron/neutron.conf', namespaces: NEUTRON },
  { host: 'cmp1', path: '/etc/neutron/neutron.conf', namespaces: NEUTRON },
  { host: 'ctrl1', path: '/etc/neutron/plugins/ml2/ml2_conf.ini', namespaces: ['neutron.ml2', 'oslo.log'] },
  { host: 'ctrl1', path: '/etc/neutron/plugins/ml2/openvswitch_agent.ini', namespaces: ['neutron.ml2.ovs.agent', 'oslo.log'] },
  { host: 'cmp1', path: '/etc/neutron/plugins/ml2/openvswitch_agent.ini', namespaces: ['neutron.ml2.ovs.agent', 'oslo.log'] },
  { host: 'ctrl1', path: '/etc/neutron/l3_agent.ini', namespaces: ['neutron.base.agent', 'neutron.l3.agent', 'oslo.log'] },
  { host: 'ctrl1', path: '/etc/neutron/dhcp_agent.ini', namespaces: ['neutron.base.agent', 'neutron.dhcp.agent', 'oslo.log'] },
  { host: 'ctrl1', path: '/etc/neutron/metadata_agent.ini', namespaces: ['neutron.metadata.agent', 'oslo.log'] },
  { host: 'ctrl1', path: '/etc/heat/heat.conf', namespaces: HEAT },
  { host: 'ctrl1', path: '/etc/cinder/cinder.conf', namespaces: CINDER, sectionsAs: { lvm: 'backend_defaults' } },
];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

// Each check starts a Python that imports a whole OpenStack service (~3 s of CPU); two at a time
// keeps a 2-core machine busy without thrashing.
let running = 0;
const waiting: (() => void)[] = [];
async function run(cmd: string, args: readonly string[]): Promise<Run> {
  if (running >= 2) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await new Promise<Run>((resolve) => {
      execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      });
    });
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function nsArgs(namespaces: readonly string[]): string[] {
  return namespaces.flatMap((n) => ['--namespace', n]);
}

function validate(file: string, namespaces: readonly string[]): Promise<Run> {
  return run(VALIDATOR, [...nsArgs(namespaces), '--input-file', file]);
}

function checkValues(file: string, namespaces: readonly string[]): Promise<Run> {
  return run(PYTHON, [join(root, 'test', 'external', 'oslo_values.py'), ...nsArgs(namespaces), '--input-file', file]);
}

/** The validator's own findings, without its INFO chatter about keystone_authtoken. */
function findings(r: Run): string {
  return (r.stdout + r.stderr)
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('INFO:') && !l.includes('normalizing group name'))
    .join('\n');
}

const work = mkdtempSync(join(tmpdir(), 'cairn-oslo-'));

test.before(() => {
  execFileSync('sh', [join(root, 'scripts', 'install-external-checkers.sh')], { stdio: 'inherit' });
  // Heat and Cinder are off in the example; on here, so their files are checked too.
  const d = exampleDeployment();
  for (const f of renderFiles({ ...d, services: { ...d.services, heat: true, cinder: true } }, allServices)) {
    const check = CHECKS.find((c) => c.host === f.host && c.path === f.path);
    let content = f.content;
    for (const [section, as] of Object.entries(check?.sectionsAs ?? {})) {
      if (!content.includes(`\n[${section}]\n`)) throw new Error(`${f.path} has no [${section}] section`);
      content = content.replace(`\n[${section}]\n`, `\n[${as}]\n`);
    }
    const target = join(work, f.host, f.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
});

test.after.always(() => {
  rmSync(work, { recursive: true, force: true });
});

for (const check of CHECKS) {
  const name = `${check.host}:${check.path}`;
  test(`oslo-config-validator accepts ${name}`, async (t) => {
    const r = await validate(join(work, check.host, check.path), check.namespaces);
    t.log(`exit ${r.code}${findings(r) ? `\n${findings(r)}` : ''}`);
    t.false(r.stderr.includes('Could not load'), 'every namespace must exist in the installed packages');
    t.is(r.code, 0, findings(r));
  });
  test(`every value in ${name} converts and none is deprecated`, async (t) => {
    const r = await checkValues(join(work, check.host, check.path), check.namespaces);
    t.log(`exit ${r.code}: ${r.stdout.trim()}`);
    t.is(r.code, 0, r.stderr);
  });
}

test('the checks can fail: an unknown option and an invalid value are both caught', async (t) => {
  const good = readFileSync(join(work, 'cmp1', '/etc/nova/nova.conf'), 'utf8');
  const unknown = join(work, 'bad-unknown.conf');
  writeFileSync(unknown, good.replace('[libvirt]\n', '[libvirt]\nbogus_option = 1\n'));
  const v = await validate(unknown, NOVA);
  t.log(`validator on an unknown option: exit ${v.code}: ${findings(v)}`);
  t.is(v.code, 1);
  t.regex(findings(v), /libvirt\/bogus_option is not part of the sample config/);

  const invalid = join(work, 'bad-value.conf');
  writeFileSync(invalid, good.replace('virt_type = qemu', 'virt_type = bogus'));
  const c = await checkValues(invalid, NOVA);
  t.log(`value check on virt_type = bogus: exit ${c.code}: ${c.stderr.trim()}`);
  t.is(c.code, 1);
  t.regex(c.stderr, /libvirt\/virt_type: .*bogus/);
});

test('the cinder backend check can fail: a target helper Cinder does not have is caught under backend_defaults', async (t) => {
  const good = readFileSync(join(work, 'ctrl1', '/etc/cinder/cinder.conf'), 'utf8');
  t.regex(good, /^\[backend_defaults\]$/m, 'the [lvm] section is checked as backend_defaults');
  const bad = join(work, 'bad-cinder.conf');
  writeFileSync(bad, good.replace('target_helper = tgtadm', 'target_helper = bogus'));
  const r = await checkValues(bad, CINDER);
  t.log(`values check: exit ${r.code}: ${r.stderr.trim()}`);
  t.is(r.code, 1);
  t.regex(r.stderr, /backend_defaults\/target_helper/);
});
