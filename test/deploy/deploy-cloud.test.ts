/**
 * deployCloud end to end over scripted fake transports, without the CLI: connect, lock,
 * hardware, plan (rendered and planned exactly once), facts, prechecks, apply, report, and the
 * local copy of the admin credentials. The hosts are fakes; every stage above them is real.
 */
import test from 'ava';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApplyEvent } from '../../src/apply/events.js';
import type { Host } from '../../src/config/model.js';
import { deployCloud } from '../../src/deploy/deploy-cloud.js';
import { STAGES, type Stages } from '../../src/deploy/plan-deployment.js';
import { FakeTransport } from '../../src/transport/fake-transport.js';
import { exampleDeployment } from '../helpers/example-deployment.js';
import { healthyProbeOutput } from '../helpers/stand-in.js';

/** The facts probe's answer: a healthy host whose br-ex already holds eth1 (the address move, which confirms over a new connection, is not due). */
function probeOutput(host: Host, memMiB: number): string {
  return healthyProbeOutput(host, memMiB, [['port', 'eth1', 'br-ex']]);
}

/** A fake host that answers the clock/hardware probe, the facts probe, and 0 to everything else. */
function fakeHost(host: Host, memMiB = 8192): FakeTransport {
  return new FakeTransport(host.name, false)
    .on((argv) => argv[0] === 'sh' && argv[1] === '-c' && (argv[2] ?? '').startsWith('date +%s%3N'), () => ({ code: 0, stdout: `${Date.now()}\n`, stderr: '' }))
    .on((argv) => argv.join(' ') === 'sh -s', (cmd) => ({ code: 0, stdout: String(cmd.stdin ?? '').includes('emit os id') ? probeOutput(host, memMiB) : '', stderr: '' }));
}

/** The real stages, counted. */
function countingStages(): { stages: Stages; calls: { render: number; plan: number } } {
  const calls = { render: 0, plan: 0 };
  const stages: Stages = {
    renderFiles: (...a) => (calls.render++, STAGES.renderFiles(...a)),
    buildPlan: (...a) => (calls.plan++, STAGES.buildPlan(...a)),
  };
  return { stages, calls };
}

test('deployCloud: connect, lock, plan once from the hardware, facts, prechecks, apply, credentials', async (t) => {
  const base = exampleDeployment();
  // CONFIG_NOVA_LIBVIRT_VIRT_TYPE=auto: decided per compute from the hardware the fakes report.
  const d = { ...base, nova: { ...base.nova, virtType: 'auto' as const } };
  const fakes = new Map(d.hosts.map((h) => [h.name, fakeHost(h)]));
  const events: ApplyEvent[] = [];
  const { stages, calls } = countingStages();
  const stateDir = mkdtempSync(join(tmpdir(), 'cairn-deploy-cloud-'));
  const outcome = await deployCloud(d, { forks: 5, stateDir, stages, connect: async (h) => fakes.get(h.name)!, onEvent: (e) => events.push(e) });

  t.true(outcome.report.ok, JSON.stringify(outcome.report.hosts.map((h) => h.error).filter(Boolean)));
  t.deepEqual(calls, { render: 1, plan: 1 }, 'one render and one plan per deploy');
  t.deepEqual(events.filter((e) => e.type === 'phase').map((e) => (e.type === 'phase' ? e.phase : '')), ['connect', 'prechecks', 'apply', 'done']);
  for (const [name, fake] of fakes) {
    t.true(fake.commands.some((c) => c.includes('mkdir /run/cairn/deploy.lock')), `${name} was locked`);
    t.true(fake.commands.some((c) => c.includes('rm -rf /run/cairn/deploy.lock')), `${name} was unlocked`);
    t.true(fake.calls.some((c) => c.op === 'close'), `${name}'s connection was closed`);
    const report = outcome.report.hosts.find((h) => h.host === name)!;
    t.true(report.steps.length > 0 && report.steps.every((s) => s.status !== 'failed'), name);
  }
  // The computes have no /dev/kvm in their hardware: the plan that was applied says qemu.
  const novaConf = fakes.get('cmp1')!.files.get('/etc/nova/nova.conf')?.content.toString() ?? '';
  t.regex(novaConf, /virt_type\s*=\s*qemu/);
  t.true(events.some((e) => e.type === 'note' && e.host === 'cmp1' && e.message.startsWith('virt_type qemu')));
  t.true(fakes.get('ctrl1')!.files.has('/etc/keystone/keystone.conf'));
  t.is(outcome.planned?.deployment.hosts.find((h) => h.name === 'cmp1')?.virtType, 'qemu');
  t.deepEqual(outcome.credentials, [join(stateDir, 'keystonerc_admin'), join(stateDir, 'clouds.yaml')]);
  t.is(statSync(join(stateDir, 'keystonerc_admin')).mode & 0o777, 0o600);
  t.is(outcome.health, undefined, 'no verify asked for');
});

test('deployCloud: a failed precheck on one host changes no host', async (t) => {
  const d = exampleDeployment();
  const fakes = new Map(d.hosts.map((h) => [h.name, fakeHost(h, h.name === 'cmp2' ? 256 : 8192)]));
  const stateDir = mkdtempSync(join(tmpdir(), 'cairn-deploy-cloud-'));
  const outcome = await deployCloud(d, { forks: 5, stateDir, connect: async (h) => fakes.get(h.name)!, verifyWaitMs: 0 });

  t.false(outcome.report.ok);
  t.is(outcome.report.abortedBefore, 'prechecks');
  t.true(outcome.report.prechecks.some((p) => p.host === 'cmp2' && p.check === 'memory' && p.severity === 'error'));
  for (const fake of fakes.values()) t.false(fake.calls.some((c) => c.op === 'put'), `${fake.host} was not written to`);
  t.deepEqual(outcome.credentials, []);
  t.is(outcome.health, undefined, 'no health checks after a failed run');
});
