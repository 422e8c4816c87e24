import test from 'ava';
import { planLab } from '../../src/lab/address-plan.js';
import {
  canonicalJson,
  externalEndpoint,
  aptCacheVolumeSpec,
  gatewayContainerSpec,
  networkSpec,
  nodeContainerSpec,
  nodeVolumeSpec,
  specHash,
} from '../../src/lab/docker-specs.js';
import { gatewayChronyConf, gatewayCommand } from '../../src/lab/gateway-ntp.js';
import { aptCacheConf, aptCacheStart, aptProxyUrl } from '../../src/lab/gateway-apt-cache.js';

const plan = planLab('lab', { controllers: 1, computes: 2 }, 10);
const ctrl = plan.nodes[0]!;

test('networks: labelled, fixed subnets, the external one internal', (t) => {
  t.deepEqual(networkSpec(plan, plan.management), {
    Name: 'cairn-lab-mgmt',
    CheckDuplicate: true,
    Driver: 'bridge',
    Internal: false,
    IPAM: { Driver: 'default', Config: [{ Subnet: '198.18.10.0/24', Gateway: '198.18.10.1' }] },
    Labels: { 'cairn.lab': 'lab', 'cairn.lab.network': 'management', 'cairn.lab.slot': '10' },
  });
  const ext = networkSpec(plan, plan.external);
  t.is(ext.Name, 'cairn-lab-ext');
  t.true(ext.Internal);
  t.deepEqual(ext.IPAM, { Driver: 'default', Config: [{ Subnet: '198.19.10.0/24', Gateway: '198.19.10.1' }] });
});

test('a node container: LAB.md run flags, never SYS_TIME, management network only', (t) => {
  const spec = nodeContainerSpec(plan, ctrl, 'cairn-lab-node:abc');
  const { Labels, ...rest } = spec;
  t.deepEqual(rest, {
    name: 'lab-ctrl1',
    Hostname: 'lab-ctrl1',
    Image: 'cairn-lab-node:abc',
    StopSignal: 'SIGRTMIN+3',
    HostConfig: {
      CapAdd: ['ALL'],
      CapDrop: ['SYS_RESOURCE', 'SYS_TIME'],
      SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
      Binds: ['/sys/fs/cgroup:/sys/fs/cgroup:rw'],
      Tmpfs: { '/run': '', '/run/lock': '' },
      Devices: [{ PathOnHost: '/dev/net/tun', PathInContainer: '/dev/net/tun', CgroupPermissions: 'rwm' }],
      // Docker's defaults less /proc/sys: packages-mode L3 and DHCP agents set sysctls.
      ReadonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sysrq-trigger'],
      Mounts: [{ Type: 'volume', Source: 'lab-ctrl1-var-lib-docker', Target: '/var/lib/docker' }],
      NetworkMode: 'cairn-lab-mgmt',
      RestartPolicy: { Name: 'no' },
      // The controller's install is a first deploy's longest: twice a compute's CPU weight.
      CpuShares: 2048,
    },
    NetworkingConfig: { EndpointsConfig: { 'cairn-lab-mgmt': { IPAMConfig: { IPv4Address: '198.18.10.11' } } } },
  });
  t.is(Labels!['cairn.lab'], 'lab');
  t.is(Labels!['cairn.lab.role'], 'controller');
  t.regex(Labels!['cairn.lab.spec']!, /^[0-9a-f]{16}$/);
  t.false('Privileged' in spec.HostConfig!, '--privileged fails on this kind of machine');
  t.deepEqual(nodeVolumeSpec(plan, ctrl), { Name: 'lab-ctrl1-var-lib-docker', Labels: { 'cairn.lab': 'lab', 'cairn.lab.role': 'controller' } });
  t.deepEqual(externalEndpoint(ctrl), { Container: 'lab-ctrl1', EndpointConfig: { IPAMConfig: { IPv4Address: '198.19.10.11' } } });
});

test('the spec label changes when the image or the plan does, not otherwise', (t) => {
  const a = nodeContainerSpec(plan, ctrl, 'img:1').Labels!['cairn.lab.spec'];
  t.is(nodeContainerSpec(plan, ctrl, 'img:1').Labels!['cairn.lab.spec'], a);
  t.not(nodeContainerSpec(plan, ctrl, 'img:2').Labels!['cairn.lab.spec'], a);
  const moved = planLab('lab', { controllers: 1, computes: 2 }, 11);
  t.not(nodeContainerSpec(moved, moved.nodes[0]!, 'img:1').Labels!['cairn.lab.spec'], a, 'other addresses, other spec');
  const spec = nodeContainerSpec(plan, ctrl, 'img:1');
  t.is(specHash(spec), a!, 'the hash ignores the spec label itself');
});

test('canonical JSON sorts keys at every level and drops undefined', (t) => {
  t.is(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: undefined } }), '{"a":{"d":[2,{"e":0,"f":1}]},"b":1}');
});

test("the gateway: chronyd -x in the host's network namespace, bound to the lab's gateway address", (t) => {
  const spec = gatewayContainerSpec(plan, 'cairn-lab-node:abc');
  t.is(spec.name, 'cairn-lab-gateway');
  t.deepEqual(spec.HostConfig, {
    NetworkMode: 'host',
    CapDrop: ['SYS_TIME'],
    RestartPolicy: { Name: 'no' },
    Mounts: [{ Type: 'volume', Source: 'cairn-lab-apt-cache', Target: '/var/cache/apt-cacher-ng' }],
  });
  t.deepEqual(spec.Entrypoint, []);
  t.deepEqual(spec.Cmd, gatewayCommand(aptCacheStart()));
  t.deepEqual(spec.Env, [`CAIRN_CHRONY_CONF=${gatewayChronyConf(plan)}`, `CAIRN_APT_CACHE_CONF=${aptCacheConf(plan)}`]);
  t.is(spec.Labels!['cairn.lab.role'], 'gateway');
  t.is(
    gatewayChronyConf(plan),
    [
      '# cairn lab lab: NTP server for the lab nodes, on the host\'s management address.',
      '# Started with -x: it serves the host clock and never adjusts it.',
      'bindaddress 198.18.10.1',
      'cmdport 0',
      'bindcmdaddress /',
      'local stratum 8',
      'allow 198.18.10.0/24',
      'pidfile /run/cairn-gateway-chronyd.pid',
      '',
    ].join('\n'),
  );
  t.deepEqual(gatewayCommand(aptCacheStart()), [
    'sh',
    '-c',
    [
      'mkdir -p /run/cairn-apt-cache',
      `printf '%s' "$CAIRN_APT_CACHE_CONF" > /run/cairn-apt-cache/acng.conf`,
      '/usr/sbin/apt-cacher-ng -c /run/cairn-apt-cache ForeGround=1 &',
      'sleep 1',
      'kill -0 $! || { echo "apt-cacher-ng exited" >&2; exit 1; }',
      'rm -f /run/cairn-gateway-chronyd.pid',
      `printf '%s' "$CAIRN_CHRONY_CONF" > /run/cairn-gateway-chrony.conf`,
      'exec /usr/sbin/chronyd -d -x -f /run/cairn-gateway-chrony.conf',
    ].join('\n'),
  ]);
  t.deepEqual(aptCacheVolumeSpec(plan), { Name: 'cairn-lab-apt-cache', Labels: { 'cairn.lab.apt-cache': 'lab' } });
  t.is(aptProxyUrl(plan), 'http://198.18.10.1:3142/');
  // cairn's own configuration: bound to the gateway, and no Remap rules (Debian's send requests to mirrors of their own choosing).
  t.regex(aptCacheConf(plan), /^BindAddress: 198\.18\.10\.1\nPort: 3142$/m);
  t.regex(aptCacheConf(plan), /^CacheDir: \/var\/cache\/apt-cacher-ng$/m);
  t.false(aptCacheConf(plan).includes('Remap'));
});

test('a compute node keeps Docker\'s default CPU weight; the controller has twice it', (t) => {
  const compute = plan.nodes.find((n) => n.role === 'compute')!;
  t.false('CpuShares' in nodeContainerSpec(plan, compute, 'img:1').HostConfig!);
  t.is(nodeContainerSpec(plan, ctrl, 'img:1').HostConfig!.CpuShares, 2048);
});
