/**
 * Cinder's descriptor: what it renders and where (the lvm backend with each family's iSCSI
 * target, nova's [cinder] section), its bootstrap, the volume group script run by sh with
 * stand-ins for the LVM tools, the prechecks of the storage host, and its verify judges.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Deployment } from '../../src/config/model.js';
import { renderFiles } from '../../src/render/render-files.js';
import { allServices } from '../../src/services/index.js';
import { catalogSpec } from '../../src/services/bootstrap-commands.js';
import { cinder, judgeVolume, judgeVolumeServices, volumeGroupScript } from '../../src/services/cinder.js';
import { precheck } from '../../src/apply/prechecks.js';
import { secretsOf } from '../../src/config/secrets.js';
import { tempestConf } from '../../src/tempest/tempest-conf.js';
import { demoSpec } from '../../src/provision/demo-spec.js';
import { exampleDeployment } from '../helpers/example-deployment.js';
import { factsFrom } from '../helpers/facts.js';
import type { HostFacts } from '../../src/facts/probe.js';

function withCinder(d: Deployment = exampleDeployment(), cinderOverrides: Partial<Deployment['cinder']> = {}): Deployment {
  return { ...d, services: { ...d.services, cinder: true }, cinder: { ...d.cinder, ...cinderOverrides } };
}

const enabled = (d: Deployment) => allServices.filter((s) => s.enabled(d));

test('cinder.conf on the controller: the lvm backend, tgt on Debian and LIO on RHEL family, the database and Keystone', (t) => {
  const files = renderFiles(withCinder(), allServices);
  const mine = files.filter((f) => f.service === 'cinder');
  t.deepEqual(mine.map((f) => `${f.host}:${f.path}`).sort(), ['ctrl1:/etc/cinder/cinder.conf', 'ctrl1:/etc/default/cinder-api', 'ctrl1:/etc/systemd/system/cairn-cinder-losetup.service']);
  const conf = mine.find((f) => f.path === '/etc/cinder/cinder.conf')!;
  t.is(`${conf.mode} ${conf.owner}:${conf.group}`, '0640 root:cinder');
  t.regex(conf.content, /^enabled_backends = lvm$/m);
  t.regex(conf.content, /\[lvm\]\nvolume_backend_name = lvm\nvolume_driver = cinder\.volume\.drivers\.lvm\.LVMVolumeDriver\nvolume_group = cinder-volumes\n/);
  t.regex(conf.content, /^target_helper = tgtadm$/m);
  t.regex(conf.content, /^target_ip_address = 198\.18\.10\.11$/m);
  t.regex(conf.content, /^connection = mysql\+pymysql:\/\/cinder:cinder-db-secret@198\.18\.10\.11\/cinder$/m);
  t.regex(conf.content, /\[keystone_authtoken\][^[]*username = cinder\npassword = cinder-ks-secret\n/);
  t.regex(conf.content, /^glance_api_servers = http:\/\/198\.18\.10\.11:9292$/m);
  const rhel = withCinder();
  rhel.hosts = rhel.hosts.map((h) => ({ ...h, osFamily: 'rhel' }));
  const rhelConf = renderFiles(rhel, allServices).find((f) => f.path === '/etc/cinder/cinder.conf')!.content;
  t.regex(rhelConf, /^target_helper = lioadm$/m);
  const unit = renderFiles(rhel, allServices).find((f) => f.path.endsWith('cairn-cinder-losetup.service'))!.content;
  t.regex(unit, /^Before=openstack-cinder-volume\.service$/m, 'RHEL\'s unit name');
  t.regex(unit, /^ExecStart=\/bin\/sh -c 'losetup -j \/var\/lib\/cinder\/cinder-volumes \| grep -q \/var\/lib\/cinder\/cinder-volumes \|\| losetup -f \/var\/lib\/cinder\/cinder-volumes; vgchange -a y cinder-volumes'$/m);
});

test('nova.conf gets [cinder] with Cinder on, on every nova host, and not without it', (t) => {
  const on = renderFiles(withCinder(), allServices).filter((f) => f.path === '/etc/nova/nova.conf');
  t.is(on.length, 3);
  for (const f of on) t.regex(f.content, /\[cinder\]\nos_region_name = RegionOne\nauth_url = http:\/\/198\.18\.10\.11:5000\n[^[]*username = nova\n/, f.host);
  for (const f of renderFiles(exampleDeployment(), allServices).filter((x) => x.path === '/etc/nova/nova.conf')) t.false(f.content.includes('[cinder]'), f.host);
});

test('without CONFIG_CINDER_VOLUMES_CREATE: no boot unit and no volume group step (the host has the group)', (t) => {
  const d = withCinder(undefined, { volumesCreate: false });
  t.false(renderFiles(d, allServices).some((f) => f.path.includes('losetup')));
  const steps = cinder.bootstrap!({ deployment: d, host: d.hosts[0]!, os: 'debian' }, enabled(d));
  t.deepEqual(steps.map((s) => s.name), ['db-sync', 'ready']);
  const create = withCinder();
  const all = cinder.bootstrap!({ deployment: create, host: create.hosts[0]!, os: 'debian' }, enabled(create));
  t.deepEqual(all.map((s) => `${s.when} ${s.name}`), ['before-start db-sync', 'before-start volume-group', 'after-start ready']);
  t.deepEqual(cinder.bootstrap!({ deployment: create, host: create.hosts[1]!, os: 'debian' }, enabled(create)), [], 'nothing on a compute');
});

test('the catalog gets volumev3, project-scoped; the passwords are masked', (t) => {
  const d = withCinder();
  const spec = catalogSpec(d, enabled(d));
  const v3 = spec.services.find((s) => s.name === 'cinderv3')!;
  t.is(v3.type, 'volumev3');
  t.is(v3.urls.public, 'http://198.18.10.11:8776/v3/%(project_id)s');
  t.true(secretsOf(d).includes('cinder-db-secret'));
  t.true(secretsOf(d).includes('cinder-ks-secret'));
  t.false(catalogSpec(exampleDeployment(), enabled(exampleDeployment())).services.some((s) => s.name.startsWith('cinder')));
});

/** A directory of stand-ins for vgs, losetup, pvcreate, vgcreate, systemctl and truncate that log their calls. */
function standIns(): { dir: string; log: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-lvm-'));
  const log = join(dir, 'calls.log');
  const state = join(dir, 'vg-exists');
  const tool = (name: string, body: string): void => {
    writeFileSync(join(dir, name), `#!/bin/sh\necho "${name} $*" >> ${log}\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  };
  tool('vgs', `[ -f ${state} ]`);
  tool('vgcreate', `touch ${state}`);
  tool('pvs', 'exit 5');
  tool('pvcreate', 'true');
  tool('losetup', 'case "$1" in -j) true ;; -f) echo /dev/loop7 ;; esac');
  tool('truncate', 'true');
  tool('systemctl', 'true');
  return { dir, log, env: { ...process.env, PATH: `${dir}:${process.env['PATH']}` } };
}

test('the volume group script, run by sh: file, loop device, PV and VG once; a second run only enables the boot unit', (t) => {
  const { log, env } = standIns();
  const d = withCinder(undefined, { volumesSizeBytes: 5 * 2 ** 30 });
  execFileSync('sh', ['-c', volumeGroupScript(d)], { env });
  const first = readFileSync(log, 'utf8').trim().split('\n');
  t.deepEqual(first, [
    'vgs cinder-volumes',
    'truncate -s 5368709120 /var/lib/cinder/cinder-volumes',
    'losetup -j /var/lib/cinder/cinder-volumes',
    'losetup -f --show /var/lib/cinder/cinder-volumes',
    'pvs /dev/loop7',
    'pvcreate /dev/loop7',
    'vgcreate cinder-volumes /dev/loop7',
    'systemctl daemon-reload',
    'systemctl enable cairn-cinder-losetup.service',
  ]);
  execFileSync('sh', ['-c', volumeGroupScript(d)], { env });
  const second = readFileSync(log, 'utf8').trim().split('\n').slice(first.length);
  t.deepEqual(second, ['vgs cinder-volumes', 'systemctl daemon-reload', 'systemctl enable cairn-cinder-losetup.service']);
});

function storageFacts(over: Partial<HostFacts>): Map<string, HostFacts> {
  const ok = (): HostFacts => Object.assign(factsFrom({}), { memMiB: 8192, diskFreeMiB: 50_000, cpuFlags: ['ssse3'], deviceMapper: true, loopDevices: true });
  return new Map([
    ['ctrl1', Object.assign(ok(), over)],
    ['cmp1', ok()],
    ['cmp2', ok()],
  ]);
}

test('prechecks of the storage host: device-mapper, loop devices and room for the volumes file, each an error naming the host', (t) => {
  const d = withCinder();
  const plans = d.hosts.map((h) => ({ host: h.name, address: h.address, osFamily: h.osFamily, sudo: false, steps: [] }));
  const cinderFindings = (facts: Map<string, HostFacts>, dep = d) => precheck(dep, plans, facts, new Map()).filter((f) => f.check === 'cinder');
  t.deepEqual(cinderFindings(storageFacts({})), [], 'a host that has all of it');
  const noDm = cinderFindings(storageFacts({ deviceMapper: false }));
  t.is(noDm.length, 1);
  t.is(noDm[0]!.host, 'ctrl1');
  t.is(noDm[0]!.severity, 'error');
  t.regex(noDm[0]!.message, /no device-mapper.*lvcreate fails/);
  t.regex(cinderFindings(storageFacts({ loopDevices: false }))[0]!.message, /no \/dev\/loop-control/);
  const full = cinderFindings(storageFacts({ diskFreeMiB: 10_000 }));
  t.regex(full[0]!.message, /has 10000 MiB free on \/, but CONFIG_CINDER_VOLUMES_SIZE asks for 20480 MiB/);
  // The volume group is the user's: no loop device and no room needed.
  t.deepEqual(cinderFindings(storageFacts({ loopDevices: false, diskFreeMiB: 10_000 }), withCinder(undefined, { volumesCreate: false })), []);
  t.deepEqual(cinderFindings(storageFacts({ deviceMapper: false }), exampleDeployment()), [], 'nothing without Cinder');
});

test('verify judges: the volume services listed up, or which is down; the volume round trip\'s times, or where it stopped', (t) => {
  const up = JSON.stringify([
    { Binary: 'cinder-scheduler', Host: 'ctrl1', Zone: 'nova', Status: 'enabled', State: 'up' },
    { Binary: 'cinder-volume', Host: 'ctrl1@lvm', Zone: 'nova', Status: 'enabled', State: 'up' },
  ]);
  t.deepEqual(judgeVolumeServices(up, 0), { ok: true, detail: 'cinder-scheduler on ctrl1 up, cinder-volume on ctrl1@lvm up' });
  const down = JSON.stringify([
    { Binary: 'cinder-scheduler', Host: 'ctrl1', Zone: 'nova', Status: 'enabled', State: 'up' },
    { Binary: 'cinder-volume', Host: 'ctrl1@lvm', Zone: 'nova', Status: 'enabled', State: 'down' },
  ]);
  t.deepEqual(judgeVolumeServices(down, 0), { ok: false, detail: 'cinder-volume on ctrl1@lvm is down (enabled)' });
  t.deepEqual(judgeVolumeServices('[]', 0), { ok: false, detail: 'no cinder-scheduler has registered; no cinder-volume has registered' });
  t.false(judgeVolumeServices('Unable to establish connection', 1).ok);
  t.deepEqual(judgeVolume('created: 4 s\nextended: 3 s\nsnapshot: 5 s\nvolume round trip: yes\n', 0), {
    ok: true,
    detail: 'a 1 GiB volume was available in 4 s, extended to 2 GiB in 3 s, snapshotted in 5 s, and deleted',
  });
  const failed = judgeVolume('volume cairn-verify-1-2 is error, not available\nvolume round trip: no\n', 1);
  t.false(failed.ok);
  t.regex(failed.detail, /volume cairn-verify-1-2 is error, not available/);
});

test('tempest.conf: cinder available and no backup tests with Cinder on; cinder unavailable without', (t) => {
  const ids = { imageId: 'img-1', flavorId: 'fl-nano', flavorAltId: 'fl-tiny', publicNetworkId: 'net-pub', networkExtensions: ['router'] };
  const conf = (d: Deployment): string => {
    const spec = demoSpec({ ...d, provisionDemo: true });
    if ('message' in spec) throw new Error(spec.message);
    return tempestConf(d, spec, ids, '/w');
  };
  t.regex(conf(withCinder()), /\[service_available\][^[]*cinder = true/);
  t.regex(conf(withCinder()), /\[volume-feature-enabled\]\nbackup = false/);
  t.regex(conf(exampleDeployment()), /\[service_available\][^[]*cinder = false/);
  t.false(conf(exampleDeployment()).includes('[volume-feature-enabled]'));
});
