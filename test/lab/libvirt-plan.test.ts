/**
 * The libvirt provider as data. Its XML is checked against libvirt's own schemas with
 * virt-xml-validate (libvirt-clients; `scripts/lab-host-setup.sh --test-tools` installs it).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { planLab } from '../../src/lab/address-plan.js';
import {
  cloudInitFiles,
  domainXml,
  networkCreatePlan,
  networkRemoveCommands,
  networkXml,
  nodeCreatePlan,
  nodeMac,
  nodeRemoveCommands,
  overlayArgv,
  seedIsoArgv,
  xmlEscape,
  type LibvirtOptions,
} from '../../src/lab/libvirt/libvirt-plan.js';
import { TemplateSet } from '../../src/render/templates.js';

const templates = new TemplateSet();
const plan = planLab('lab', { controllers: 1, computes: 2 }, 10);
const [ctrl, cmp1] = plan.nodes as [typeof plan.nodes[0] & object, typeof plan.nodes[0] & object];
const opts: LibvirtOptions = {
  baseImage: '/var/lib/libvirt/images/debian-12-genericcloud-amd64.qcow2',
  imageDir: '/var/lib/libvirt/images/cairn-lab',
  domainType: 'kvm',
  memoryMiB: { controller: 8192, compute: 4096 },
  vcpus: { controller: 4, compute: 2 },
  diskSize: '40G',
  uri: 'qemu:///system',
};
const hostKey = {
  privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
  publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKey root@lab-ctrl1',
};
const LAB_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILabKey cairn-lab-lab';

const hasValidator = spawnSync('sh', ['-c', 'command -v virt-xml-validate']).status === 0;
const validated = hasValidator ? test : test.skip;

function validate(xml: string, schema: string): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-libvirt-'));
  try {
    const file = join(dir, `${schema}.xml`);
    writeFileSync(file, xml);
    const r = spawnSync('virt-xml-validate', [file, schema]);
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('MACs are deterministic: QEMU prefix, slot, network, host', (t) => {
  t.is(nodeMac(plan, plan.management, ctrl), '52:54:00:0a:0a:0b');
  t.is(nodeMac(plan, plan.external, cmp1), '52:54:00:0a:0b:15');
  t.is(xmlEscape(`a&b<c>'d"`), 'a&amp;b&lt;c&gt;&apos;d&quot;');
});

test('domain XML: host-passthrough CPU, overlay disk, seed, both networks by MAC', (t) => {
  const xml = domainXml(templates, plan, ctrl, opts, '/img/lab-ctrl1/disk.qcow2', '/img/lab-ctrl1/seed.iso');
  t.true(xml.includes("<cpu mode='host-passthrough' check='none' migratable='off'/>"));
  t.true(xml.includes("<domain type='kvm'>"));
  t.true(xml.includes('<name>lab-ctrl1</name>'));
  t.true(xml.includes("<memory unit='MiB'>8192</memory>"));
  t.true(xml.includes("<vcpu placement='static'>4</vcpu>"));
  t.true(xml.includes("<source file='/img/lab-ctrl1/disk.qcow2'/>"));
  t.true(xml.includes("<source file='/img/lab-ctrl1/seed.iso'/>"));
  t.true(xml.includes("<mac address='52:54:00:0a:0a:0b'/>\n      <source network='cairn-lab-mgmt'/>"));
  t.true(xml.includes("<mac address='52:54:00:0a:0b:0b'/>\n      <source network='cairn-lab-ext'/>"));
  t.true(xml.indexOf('cairn-lab-mgmt') < xml.indexOf('cairn-lab-ext'), 'management is the first NIC');
  t.true(domainXml(templates, plan, cmp1, { ...opts, domainType: 'qemu' }, '/d', '/s').includes("<memory unit='MiB'>4096</memory>"));
  t.true(domainXml(templates, plan, ctrl, opts, "/a'b&c", '/s').includes("<source file='/a&apos;b&amp;c'/>"), 'paths are escaped');
});

validated('virt-xml-validate accepts the domain XML of every node, kvm and qemu', (t) => {
  for (const node of plan.nodes) {
    for (const domainType of ['kvm', 'qemu'] as const) {
      const r = validate(domainXml(templates, plan, node, { ...opts, domainType }, `/img/${node.name}/disk.qcow2`, `/img/${node.name}/seed.iso`), 'domain');
      t.is(r.status, 0, `${node.name} ${domainType}: ${r.output}`);
    }
  }
});

validated('virt-xml-validate accepts both network XMLs', (t) => {
  for (const net of [plan.management, plan.external]) {
    const r = validate(networkXml(templates, plan, net), 'network');
    t.is(r.status, 0, `${net.name}: ${r.output}`);
  }
});

validated('virt-xml-validate rejects a broken domain (the check can fail)', (t) => {
  const broken = domainXml(templates, plan, ctrl, opts, '/d', '/s').replace("<vcpu placement='static'>4</vcpu>", "<vcpu placement='static'>four</vcpu>");
  t.not(validate(broken, 'domain').status, 0);
});

test('network XML: management NATs, external is isolated', (t) => {
  const mgmt = networkXml(templates, plan, plan.management);
  t.true(mgmt.includes("<forward mode='nat'/>"));
  t.true(mgmt.includes("<ip address='198.18.10.1' netmask='255.255.255.0'/>"));
  const ext = networkXml(templates, plan, plan.external);
  t.false(ext.includes('<forward'));
  t.true(ext.includes("<ip address='198.19.10.1' netmask='255.255.255.0'/>"));
});

test('cloud-init seed: hostname, static addresses by MAC as eth0/eth1, the lab key, host keys, hosts, NTP', (t) => {
  const ci = cloudInitFiles(templates, plan, ctrl, LAB_KEY, hostKey);
  t.deepEqual(parse(ci['meta-data']), { 'instance-id': 'cairn-lab-ctrl1', 'local-hostname': 'lab-ctrl1' });
  t.true(ci['user-data'].startsWith('#cloud-config\n'));
  const user = parse(ci['user-data']) as Record<string, unknown>;
  t.is(user['hostname'], 'lab-ctrl1');
  t.false(user['disable_root']);
  t.false(user['ssh_pwauth']);
  t.deepEqual(user['ssh_authorized_keys'], [LAB_KEY]);
  t.deepEqual(user['ssh_keys'], { ed25519_private: hostKey.privateKey, ed25519_public: hostKey.publicKey });
  t.deepEqual(user['write_files'], [
    { path: '/etc/hosts', append: true, content: '# BEGIN cairn lab lab\n198.18.10.1\tlab-gateway\n198.18.10.11\tlab-ctrl1\n198.18.10.21\tlab-cmp1\n198.18.10.22\tlab-cmp2\n# END cairn lab lab\n' },
  ]);
  t.deepEqual(user['ntp'], { enabled: true, ntp_client: 'chrony', servers: ['198.18.10.1'], pools: [] });
  t.deepEqual(parse(ci['network-config']), {
    version: 2,
    ethernets: {
      eth0: {
        match: { macaddress: '52:54:00:0a:0a:0b' },
        'set-name': 'eth0',
        addresses: ['198.18.10.11/24'],
        routes: [{ to: 'default', via: '198.18.10.1' }],
        nameservers: { addresses: ['198.18.10.1'] },
      },
      eth1: { match: { macaddress: '52:54:00:0a:0b:0b' }, 'set-name': 'eth1', addresses: ['198.19.10.11/24'] },
    },
  });
});

test('the disk overlay, seed and VM commands, by exact value', (t) => {
  t.deepEqual(overlayArgv('/base.qcow2', '/o.qcow2', '40G'), ['qemu-img', 'create', '-f', 'qcow2', '-b', '/base.qcow2', '-F', 'qcow2', '/o.qcow2', '40G']);
  t.deepEqual(seedIsoArgv('/d/seed.iso', '/d'), ['genisoimage', '-quiet', '-output', '/d/seed.iso', '-volid', 'cidata', '-joliet', '-rock', '/d/user-data', '/d/meta-data', '/d/network-config']);
  const np = nodeCreatePlan(templates, plan, cmp1, opts, LAB_KEY, hostKey);
  const dir = '/var/lib/libvirt/images/cairn-lab/lab-cmp1';
  t.deepEqual(np.create, [
    ['qemu-img', 'create', '-f', 'qcow2', '-b', opts.baseImage, '-F', 'qcow2', `${dir}/disk.qcow2`, '40G'],
    ['genisoimage', '-quiet', '-output', `${dir}/seed.iso`, '-volid', 'cidata', '-joliet', '-rock', `${dir}/user-data`, `${dir}/meta-data`, `${dir}/network-config`],
    ['virsh', '--connect', 'qemu:///system', 'define', `${dir}/domain.xml`],
    ['virsh', '--connect', 'qemu:///system', 'start', 'lab-cmp1'],
  ]);
  t.deepEqual(np.files.map((f) => [f.path, f.mode.toString(8)]), [
    [`${dir}/user-data`, '600'],
    [`${dir}/meta-data`, '644'],
    [`${dir}/network-config`, '644'],
    [`${dir}/domain.xml`, '644'],
  ]);
  t.deepEqual(nodeRemoveCommands(opts, 'lab-cmp1'), [
    ['virsh', '--connect', 'qemu:///system', 'destroy', 'lab-cmp1'],
    ['virsh', '--connect', 'qemu:///system', 'undefine', 'lab-cmp1'],
  ]);
  const net = networkCreatePlan(templates, plan, plan.management, opts);
  t.is(net.file.path, '/var/lib/libvirt/images/cairn-lab/cairn-lab-mgmt.xml');
  t.deepEqual(net.create, [
    ['virsh', '--connect', 'qemu:///system', 'net-define', '/var/lib/libvirt/images/cairn-lab/cairn-lab-mgmt.xml'],
    ['virsh', '--connect', 'qemu:///system', 'net-start', 'cairn-lab-mgmt'],
  ]);
  t.deepEqual(networkRemoveCommands(opts, 'cairn-lab-ext'), [
    ['virsh', '--connect', 'qemu:///system', 'net-destroy', 'cairn-lab-ext'],
    ['virsh', '--connect', 'qemu:///system', 'net-undefine', 'cairn-lab-ext'],
  ]);
});
