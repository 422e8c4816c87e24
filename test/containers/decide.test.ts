/**
 * The pure decisions around containers: converge actions, health verdicts, log demultiplexing,
 * bootstrap steps adapted to one-shots, the host-side service list, history and rollback tags.
 */
import test from 'ava';
import { mkdtempSync, rmSync, appendFileSync, writeFileSync, chmodSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ONESHOT_STDIN, deployedDescriptors, oneShotSteps, unlessExists, withStdinFile } from '../../src/containers/bootstrap.js';
import { decideContainer, demuxLogs, judgeHealth, lastHealthOutput } from '../../src/containers/decide.js';
import { desiredContainer } from '../../src/containers/desired.js';
import { appendHistory, formatHistory, previousTag, readHistory, type HistoryRecord } from '../../src/containers/history.js';
import { databaseOnly, hostSideServices } from '../../src/containers/infra.js';
import { containerServices, glanceApiContainer, keystoneContainer, novaApiContainer, novaConductorContainer } from '../../src/containers/services.js';
import { createOptions } from '../../src/containers/spec.js';
import { databasesSql } from '../../src/services/bootstrap-commands.js';
import { renderFiles } from '../../src/render/render-files.js';
import { allServices } from '../../src/services/index.js';
import { exampleDeployment } from '../helpers/example-deployment.js';

const d = exampleDeployment();
const rendered = renderFiles(d, allServices);
const ctrl = d.hosts[0]!;
const keystone = desiredContainer(keystoneContainer, ctrl, rendered, 'zed-1')!;

/** What the engine would echo for a container created from `spec`, in state `status`. */
function echoed(status: string, spec = keystone.spec): Parameters<typeof decideContainer>[0] {
  const o = createOptions(spec);
  return { State: { Status: status, Running: status === 'running' }, Config: { Image: o.Image, Cmd: o.Cmd ?? null, User: o.User ?? '', Env: o.Env, Labels: o.Labels, Healthcheck: o.Healthcheck }, HostConfig: { NetworkMode: 'host', Binds: o.HostConfig.Binds, RestartPolicy: o.HostConfig.RestartPolicy } };
}

test('decide: absent -> create; same spec running -> none (says why); stopped -> start; differs -> recreate with the fields', (t) => {
  t.is(decideContainer(undefined, keystone.spec).action, 'create');
  const none = decideContainer(echoed('running'), keystone.spec);
  t.is(none.action, 'none');
  t.regex(none.reason, /cairn-keystone runs cairn\/keystone:zed-1 with the desired spec \(config [0-9a-f]{12}\)/);
  t.deepEqual(decideContainer(echoed('exited'), keystone.spec), { action: 'start', reason: 'cairn-keystone is exited' });
  const up = desiredContainer(keystoneContainer, ctrl, rendered, 'zed-2')!.spec;
  const r = decideContainer(echoed('running'), up);
  t.is(r.action, 'recreate');
  t.deepEqual(r.action === 'recreate' ? r.differences.map((x) => x.field) : [], ['image', 'label.cairn.image-version']);
});

test('health verdicts: healthy, starting, unhealthy, exited, crash-looping; last health output', (t) => {
  t.deepEqual(judgeHealth({ State: { Status: 'running', Health: { Status: 'healthy' } } }), { state: 'healthy' });
  t.deepEqual(judgeHealth({ State: { Status: 'running', Health: { Status: 'starting' } } }), { state: 'waiting' });
  t.deepEqual(judgeHealth({ State: { Status: 'running', Health: { Status: 'unhealthy' } } }), { state: 'failed', why: 'its health check failed' });
  t.deepEqual(judgeHealth({ State: { Status: 'exited', ExitCode: 1 } }), { state: 'failed', why: 'the container exited (code 1)' });
  t.deepEqual(judgeHealth({ State: { Status: 'restarting', Restarting: true, ExitCode: 22 } }), { state: 'failed', why: 'the container keeps exiting (code 22) and restarting' });
  t.is(lastHealthOutput({ State: { Health: { Log: [{ ExitCode: 0, Output: '' }, { ExitCode: 1, Output: 'ConnectionRefusedError: [Errno 111]\n' }] } } }), 'exit 1: ConnectionRefusedError: [Errno 111]');
  t.is(lastHealthOutput({ State: {} }), undefined);
});

test('demuxLogs: stdout and stderr frames in order; a TTY stream passes through', (t) => {
  const frame = (kind: number, s: string): Buffer => {
    const h = Buffer.alloc(8);
    h[0] = kind;
    h.writeUInt32BE(Buffer.byteLength(s), 4);
    return Buffer.concat([h, Buffer.from(s)]);
  };
  t.is(demuxLogs(Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err 2\n'), frame(1, 'out 3\n')])), 'out 1\nerr 2\nout 3\n');
  t.is(demuxLogs(Buffer.from('plain text from a tty\n')), 'plain text from a tty\n');
});

test("keystone's one-shots are its descriptor's bootstrap steps: paths into the container, guards as sh tests, waits dropped, stdin kept for a file", (t) => {
  const steps = oneShotSteps(keystone, { deployment: d, host: ctrl, os: 'debian' }, deployedDescriptors(d, containerServices));
  t.deepEqual(steps.map((s) => `${s.when} ${s.name}`), ['before-start db-sync', 'before-start fernet-keys', 'before-start credential-keys', 'after-start bootstrap', 'after-start catalog']);
  t.deepEqual(steps[0]!.argv, ['runuser', '-u', 'keystone', '--', 'keystone-manage', 'db_sync']);
  t.deepEqual(steps[1]!.argv, unlessExists('/etc/keystone/fernet-keys/0', ['keystone-manage', 'fernet_setup', '--keystone-user', 'keystone', '--keystone-group', 'keystone']));
  t.deepEqual(steps[4]!.argv, ['python3', '/etc/cairn/config/ensure-catalog.py'], 'the catalog script is read from the bound config directory');
  t.truthy(steps[3]!.stdin?.includes(d.keystone.adminPassword));
  t.false(steps.some((s) => s.argv.join(' ').includes(d.keystone.adminPassword)), 'no password on a command line');
  t.deepEqual(withStdinFile(['a', 'b']), ['sh', '-c', `exec "$@" < ${ONESHOT_STDIN}`, 'sh', 'a', 'b']);
  const catalog = JSON.parse(steps[4]!.stdin!) as { services: { name: string }[] };
  t.deepEqual(catalog.services.map((s) => s.name), ['glance', 'placement', 'nova', 'neutron'], 'the catalog registers the container services, each once');
});

test('glance-api one-shots: db_sync, then the metadata definitions', (t) => {
  const g = desiredContainer(glanceApiContainer, ctrl, rendered, 'zed-1')!;
  t.deepEqual(oneShotSteps(g, { deployment: d, host: ctrl, os: 'debian' }, []).map((s) => s.name), ['db-sync', 'metadefs']);
});

test('host side: infrastructure plus database-only views; MariaDB still creates the container services\' databases', (t) => {
  const services = hostSideServices(containerServices);
  // nova's five containers share one descriptor: its view is there once, in packages-mode order.
  // ovs-network: br-ex's host network files, with Open vSwitch on the host; docker-engine: the
  // engine the containers run on, installed with the rest.
  t.deepEqual(services.map((s) => s.name), ['chrony', 'repos', 'mariadb', 'rabbitmq', 'memcached', 'keystone', 'glance', 'placement', 'nova', 'neutron', 'heat', 'horizon', 'ovs-network', 'docker-engine', 'credentials']);
  const engine = services.find((s) => s.name === 'docker-engine')!;
  t.deepEqual(engine.components.map((c) => `${c.role}:${c.packages.debian.join(',')}:${c.unit.debian}`), ['control:docker.io:docker', 'network:docker.io:docker', 'compute:docker.io:docker']);
  t.false(engine.enabled(d), 'not in a packages-mode deployment');
  t.true(engine.enabled({ ...d, mode: 'containers' }));
  const view = databaseOnly(allServices.find((s) => s.name === 'keystone')!);
  t.deepEqual(view.components, []);
  t.deepEqual(view.files({ deployment: d, host: ctrl, os: 'debian' }), []);
  t.is(view.bootstrap, undefined);
  // The hypervisor stays on the host: libvirtd is nova's only component there, with no file.
  const nova = services.find((s) => s.name === 'nova')!;
  t.deepEqual(nova.components.map((c) => c.name), ['libvirtd']);
  t.deepEqual(nova.files({ deployment: d, host: d.hosts[1]!, os: 'debian' }), []);
  const sql = databasesSql(d, services);
  for (const db of ['keystone', 'glance', 'placement', 'neutron', 'nova', 'nova_api', 'nova_cell0']) t.true(sql.includes(`CREATE DATABASE IF NOT EXISTS \`${db}\``), db);
  // Open vSwitch stays on the host (the agents' containers drive it): neutron's only component
  // there, on network and compute hosts, with no file.
  const neutron = services.find((s) => s.name === 'neutron')!;
  t.deepEqual(neutron.components.map((c) => `${c.name}@${c.role}`), ['openvswitch@network', 'openvswitch@compute']);
  t.deepEqual(neutron.files({ deployment: d, host: ctrl, os: 'debian' }), []);
  t.deepEqual(services.find((s) => s.name === 'horizon')!.components, []);
});

test('nova one-shots: nova-api runs the migrations and discover-hosts (deferred), the other nova containers none', (t) => {
  const cd = { ...d, mode: 'containers' as const };
  const r = renderFiles(cd, allServices);
  const all = deployedDescriptors(cd, containerServices);
  t.deepEqual(all.map((x) => x.name), ['keystone', 'glance', 'placement', 'nova', 'neutron', 'horizon']);
  const api = desiredContainer(novaApiContainer, ctrl, r, 'zed-1')!;
  const steps = oneShotSteps(api, { deployment: cd, host: ctrl, os: 'debian' }, all);
  t.deepEqual(steps.map((s) => `${s.when} ${s.name}`), ['before-start api-db-sync', 'before-start cell0', 'before-start cell1', 'before-start db-sync', 'after-start discover-hosts']);
  t.deepEqual(novaApiContainer.finalSteps, ['discover-hosts']);
  // Containers mode's discovery needs no MariaDB client (the nova-api image has none).
  const discover = steps.at(-1)!.argv.join(' ');
  t.false(discover.includes('mysql'));
  t.regex(discover, /list_hosts/);
  const cond = desiredContainer(novaConductorContainer, ctrl, r, 'zed-1')!;
  t.deepEqual(oneShotSteps(cond, { deployment: cd, host: ctrl, os: 'debian' }, all), []);
});

test('history: append, read (a torn line is skipped), filter, format, previous tag', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-history-'));
  try {
    const file = join(dir, 'h.jsonl');
    const rec = (r: Partial<HistoryRecord>): HistoryRecord => ({ at: '2026-11-27T12:00:00.000Z', operation: 'upgrade', service: 'keystone', host: 'ctrl1', to: 'zed-2', image: 'cairn/keystone:zed-2', outcome: 'ok', ms: 4200, ...r });
    appendHistory(rec({ operation: 'deploy', to: 'zed-1', image: 'cairn/keystone:zed-1' }), file);
    appendHistory(rec({ from: 'zed-1' }), file);
    appendHistory(rec({ from: 'zed-2', to: 'zed-3', outcome: 'restored', why: 'its health check failed' }), file);
    appendHistory(rec({ service: 'glance-api', to: 'zed-1' }), file);
    appendFileSync(file, '{"at":"2026-11-27T12:0');
    const all = readHistory(file);
    t.is(all.length, 4);
    t.is(readHistory(file, 'glance-api').length, 1);
    t.is(previousTag(all, 'keystone', 'ctrl1', 'zed-2'), 'zed-1');
    t.is(previousTag(all, 'keystone', 'ctrl1', 'zed-3'), undefined, 'a restored upgrade never ran zed-3');
    t.is(formatHistory(all[2]!), '2026-11-27T12:00:00.000Z  upgrade   keystone        ctrl1         zed-2 -> zed-3    restored   4.2s  its health check failed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("containers mode's discover-hosts, run by sh with stand-ins for runuser and nova-manage: done once list_hosts shows every compute; a failing discover fails the step", (t) => {
  const cd = { ...d, mode: 'containers' as const };
  const api = desiredContainer(novaApiContainer, ctrl, renderFiles(cd, allServices), 'zed-1')!;
  const step = oneShotSteps(api, { deployment: cd, host: ctrl, os: 'debian' }, deployedDescriptors(cd, containerServices)).find((s) => s.name === 'discover-hosts')!;
  const dir = mkdtempSync(join(tmpdir(), 'cairn-discover-'));
  try {
    const tool = (name: string, body: string): void => {
      writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(dir, name), 0o755);
    };
    tool('runuser', 'shift 3; exec "$@"');
    const run = (mode: string) => spawnSync(step.argv[0]!, step.argv.slice(1), { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, FAKE: mode }, timeout: 20_000 });
    tool(
      'nova-manage',
      [
        'echo "$*" >> "$(dirname "$0")/calls"',
        'case "$2" in',
        '  discover_hosts) [ "$FAKE" = broken ] && exit 3; exit 0 ;;',
        "  list_hosts) printf '+---+\\n| Cell Name | Cell UUID | Hostname |\\n+---+\\n| cell1 | u | cmp1 |\\n| cell1 | u | cmp2 |\\n+---+\\n' ;;",
        'esac',
      ].join('\n'),
    );
    const ok = run('ok');
    t.is(ok.status, 0, ok.stderr);
    t.regex(spawnSync('cat', [join(dir, 'calls')], { encoding: 'utf8' }).stdout, /^cell_v2 discover_hosts --verbose\ncell_v2 list_hosts\n$/);
    t.is(run('broken').status, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
