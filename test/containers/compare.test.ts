/**
 * compareSpec against a real `docker inspect` answer: fixtures/inspect-keystone.json is what
 * Docker 20.10 returned for a container created from createOptions(keystone's spec) (image
 * swapped for a local one, one environment variable added). Each case changes the desired spec
 * or the inspect answer and names the exact differences expected.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareSpec, describeDifferences, type InspectedContainer } from '../../src/containers/compare.js';
import { desiredContainer } from '../../src/containers/desired.js';
import { keystoneContainer } from '../../src/containers/services.js';
import { LABELS, containerLabels, createOptions, type ContainerSpec } from '../../src/containers/spec.js';
import type { RenderedFile } from '../../src/render/render-files.js';
import { exampleDeployment } from '../helpers/example-deployment.js';
import { fixturesDir } from '../helpers/paths.js';

const inspect = JSON.parse(readFileSync(join(fixturesDir, '..', 'containers', 'fixtures', 'inspect-keystone.json'), 'utf8')) as InspectedContainer;
const host = exampleDeployment().hosts[0]!;
const keystoneConf = (content: string, sha256: string): RenderedFile => ({
  host: host.name,
  path: '/etc/keystone/keystone.conf',
  mode: '0640',
  owner: 'root',
  group: 'keystone',
  service: 'keystone',
  restarts: ['keystone'],
  content,
  sha256,
});
const SHA_X = '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881';

/** The spec the fixture was made from. */
function desired(tag = 'zed-1', sha = SHA_X): ContainerSpec {
  const d = desiredContainer(keystoneContainer, host, [keystoneConf('x', sha)], tag);
  if (!d) throw new Error('keystone should run on the controller');
  const env = { OS_EXAMPLE: '1' };
  return { ...d.spec, image: d.spec.image.replace(/^cairn\/keystone:zed-1$/, 'cairn-lab-base:bff94e9dd138'), env, labels: containerLabels('keystone', tag, d.spec.labels[LABELS.configHash]!, env) };
}

const withConfig = (patch: Partial<NonNullable<InspectedContainer['Config']>>): InspectedContainer => ({ ...inspect, Config: { ...inspect.Config, ...patch } });
const withHost = (patch: Partial<NonNullable<InspectedContainer['HostConfig']>>): InspectedContainer => ({ ...inspect, HostConfig: { ...inspect.HostConfig, ...patch } });

interface Case {
  name: string;
  current: InspectedContainer;
  want: ContainerSpec;
  expected: string[];
}

const base = desired();
const cases: Case[] = [
  { name: 'equal: nothing to do', current: inspect, want: base, expected: [] },
  {
    name: 'image tag differs (an upgrade): image and version label',
    current: inspect,
    want: { ...desired('zed-2'), image: 'cairn/keystone:zed-2' },
    expected: ['image: cairn-lab-base:bff94e9dd138 -> cairn/keystone:zed-2', 'label.cairn.image-version: zed-1 -> zed-2'],
  },
  {
    name: 'config hash label differs (keystone.conf changed)',
    current: inspect,
    want: desired('zed-1', 'a'.repeat(64)),
    expected: [`label.cairn.config-hash: ${base.labels[LABELS.configHash]} -> ${desired('zed-1', 'a'.repeat(64)).labels[LABELS.configHash]}`],
  },
  {
    name: 'bind differs: a data bind became writable',
    current: inspect,
    want: { ...base, binds: base.binds.map((b) => (b.container === '/etc/keystone/fernet-keys' ? { ...b, readOnly: false } : b)) },
    expected: ['binds: /var/lib/cairn/keystone/fernet-keys:/etc/keystone/fernet-keys:ro -> /var/lib/cairn/keystone/fernet-keys:/etc/keystone/fernet-keys'],
  },
  {
    name: 'bind differs: a bind was added',
    current: inspect,
    want: { ...base, binds: [...base.binds, { host: '/var/log/cairn/keystone', container: '/var/log/keystone', readOnly: false }] },
    expected: ['binds: (none extra) -> /var/log/cairn/keystone:/var/log/keystone'],
  },
  {
    name: 'env differs: a value changed',
    current: inspect,
    want: { ...base, env: { OS_EXAMPLE: '2' } },
    expected: ['env.OS_EXAMPLE: 1 -> 2'],
  },
  {
    name: 'env differs: a variable cairn set is no longer wanted (known from cairn.env-keys)',
    current: inspect,
    want: { ...base, env: {}, labels: containerLabels('keystone', 'zed-1', base.labels[LABELS.configHash]!, {}) },
    expected: ['env.OS_EXAMPLE: 1 -> (none)', 'label.cairn.env-keys: OS_EXAMPLE -> '],
  },
  {
    name: "the image's own environment (PATH) and labels are not cairn's and are ignored",
    current: withConfig({
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'OS_EXAMPLE=1'],
      Labels: { ...inspect.Config?.Labels, maintainer: 'someone', 'org.opencontainers.image.version': '1', 'cairn.image': 'keystone', 'cairn.tag': 'zed-1', 'cairn.release': 'zed' },
    }),
    want: base,
    expected: [],
  },
  {
    name: 'a cairn container label the spec no longer has is a difference',
    current: withConfig({ Labels: { ...inspect.Config?.Labels, [LABELS.managed]: 'yes', [LABELS.service]: 'keystone-old' } }),
    want: base,
    expected: ['label.cairn.service: keystone-old -> keystone'],
  },
  {
    name: 'healthcheck differs: interval and retries',
    current: inspect,
    want: { ...base, healthcheck: { ...base.healthcheck, intervalMs: 2000, retries: 5 } },
    expected: ['healthcheck.interval: 5000000000 -> 2000000000', 'healthcheck.retries: 3 -> 5'],
  },
  {
    name: 'healthcheck differs: the probe URL',
    current: inspect,
    want: { ...base, healthcheck: { ...base.healthcheck, test: ['CMD', 'true'] } },
    expected: [`healthcheck.test: ${JSON.stringify(inspect.Config?.Healthcheck?.Test)} -> ["CMD","true"]`],
  },
  {
    name: 'healthcheck missing on the container (made by hand)',
    current: withConfig({ Healthcheck: null }),
    want: base,
    expected: [
      `healthcheck.test: (none) -> ${JSON.stringify(base.healthcheck.test)}`,
      'healthcheck.interval: (none) -> 5000000000',
      'healthcheck.timeout: (none) -> 5000000000',
      'healthcheck.retries: (none) -> 3',
      'healthcheck.start_period: (none) -> 60000000000',
    ],
  },
  {
    name: 'restart policy differs',
    current: withHost({ RestartPolicy: { Name: 'always', MaximumRetryCount: 0 } }),
    want: base,
    expected: ['restart_policy: always -> unless-stopped'],
  },
  {
    name: 'restart policy: the engine\'s "" means no',
    current: withHost({ RestartPolicy: { Name: '', MaximumRetryCount: 0 } }),
    want: { ...base, restartPolicy: { name: 'no', maximumRetryCount: 0 } },
    expected: [],
  },
  {
    name: 'restart policy: on-failure retry count',
    current: withHost({ RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } }),
    want: { ...base, restartPolicy: { name: 'on-failure', maximumRetryCount: 5 } },
    expected: ['restart_policy.maximum_retry_count: 3 -> 5'],
  },
  {
    name: 'network differs (a container on the default bridge)',
    current: withHost({ NetworkMode: 'default' }),
    want: base,
    expected: ['network: default -> host'],
  },
  {
    name: 'capabilities wanted (nova-compute), the container has none',
    current: inspect,
    want: { ...base, capAdd: ['SYS_ADMIN', 'NET_ADMIN'] },
    expected: ['cap_add: (none) -> NET_ADMIN,SYS_ADMIN'],
  },
  {
    name: 'a capability added by hand, the spec says none',
    current: withHost({ CapAdd: ['NET_RAW'] }),
    want: base,
    expected: ['cap_add: NET_RAW -> (none)'],
  },
  {
    name: 'the same capabilities in another order: nothing to do',
    current: withHost({ CapAdd: ['SYS_ADMIN', 'NET_ADMIN'] }),
    want: { ...base, capAdd: ['NET_ADMIN', 'SYS_ADMIN'] },
    expected: [],
  },
  {
    name: '/proc/sys wanted writable (the L3 agent), the container has Docker\'s read-only default',
    current: withHost({ ReadonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'] }),
    want: { ...base, procSysWritable: true },
    expected: ['proc_sys_writable: false -> true'],
  },
  {
    name: '/proc/sys writable and wanted so: nothing to do',
    current: withHost({ ReadonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sysrq-trigger'] }),
    want: { ...base, procSysWritable: true },
    expected: [],
  },
  {
    name: 'an engine that reports no read-only paths made Docker\'s defaults: /proc/sys read-only, as wanted',
    current: withHost({ ReadonlyPaths: null }),
    want: base,
    expected: [],
  },
  {
    name: 'command differs',
    current: inspect,
    want: { ...base, command: ['glance-api'] },
    expected: [`command: ${JSON.stringify(inspect.Config?.Cmd)} -> ["glance-api"]`],
  },
  {
    name: 'user differs',
    current: withConfig({ User: '' }),
    want: base,
    expected: ['user: (none) -> keystone'],
  },
];

for (const c of cases) {
  test(`compareSpec: ${c.name}`, (t) => {
    const diffs = compareSpec(c.current, c.want);
    t.deepEqual(describeDifferences(diffs).split('; ').filter(Boolean), c.expected);
  });
}

test('compareSpec: an empty inspect answer differs in every field and does not throw', (t) => {
  const fields = compareSpec({}, base).map((d) => d.field);
  for (const f of ['image', 'command', 'user', 'env.OS_EXAMPLE', 'label.cairn.config-hash', 'binds', 'network', 'healthcheck.test', 'restart_policy']) {
    t.true(fields.includes(f), f);
  }
});

test('createOptions round-trips: what the engine stores compares equal to the spec it came from', (t) => {
  // The fixture was made from createOptions(spec); its fields are exactly what the engine echoes.
  const o = createOptions(base, 'cairn-fixture-keystone');
  t.deepEqual(inspect.HostConfig?.Binds, o.HostConfig.Binds);
  t.deepEqual(inspect.Config?.Healthcheck, { Test: o.Healthcheck.Test, Interval: o.Healthcheck.Interval, Timeout: o.Healthcheck.Timeout, StartPeriod: o.Healthcheck.StartPeriod, Retries: o.Healthcheck.Retries });
  t.is(inspect.Name, '/cairn-fixture-keystone');
});
