/**
 * The background lane (Step.background, Step.after) through applyPlan, over a scripted fake
 * host whose `slow` commands take a while: what overlaps, what waits, and how failures end.
 */
import test from 'ava';
import { applyPlan, type ApplyReport } from '../../src/apply/apply-plan.js';
import type { Host } from '../../src/config/model.js';
import type { CommandStep, Plan } from '../../src/plan/steps.js';
import { FakeTransport } from '../../src/transport/fake-transport.js';
import type { Command, RunResult } from '../../src/transport/transport.js';
import { exampleDeployment } from '../helpers/example-deployment.js';
import { healthyProbeOutput } from '../helpers/stand-in.js';

const d = exampleDeployment();
const ctrl = d.hosts.find((h) => h.name === 'ctrl1')!;

/** A fake host that logs `start X` / `end X` around each `slow X` (100 ms) and `quick X` command; `fail X` exits 1. */
class TimedHost extends FakeTransport {
  readonly log: string[] = [];
  constructor(host: Host) {
    super(host.name, false);
    this.on(
      (argv) => argv.join(' ') === 'sh -s',
      (cmd) => ({
        code: 0,
        stdout: String(cmd.stdin ?? '').includes('emit os id') ? healthyProbeOutput(host) : '',
        stderr: '',
      }),
    );
  }
  override async run(cmd: Command): Promise<RunResult> {
    const [verb, name] = cmd.argv;
    if (verb !== 'slow' && verb !== 'quick' && verb !== 'fail') return super.run(cmd);
    this.log.push(`start ${name}`);
    await new Promise((r) => setTimeout(r, verb === 'quick' ? 5 : 100));
    this.log.push(`end ${name}`);
    return {
      code: verb === 'fail' ? 1 : 0,
      stdout: '',
      stderr: verb === 'fail' ? `${name} broke` : '',
    };
  }
}

function command(
  name: string,
  verb: 'slow' | 'quick' | 'fail',
  extra: Partial<CommandStep> = {},
): CommandStep {
  return {
    kind: 'command',
    id: `command:${name}`,
    title: name,
    phase: 'bootstrap',
    argv: [verb, name],
    ...extra,
  };
}

async function apply(steps: CommandStep[]): Promise<{ report: ApplyReport; log: string[] }> {
  const host = new TimedHost(ctrl);
  const plan: Plan = {
    hosts: [{ host: ctrl.name, address: ctrl.address, osFamily: 'debian', sudo: false, steps }],
  };
  const report = await applyPlan(d, plan, {
    dryRun: false,
    forks: 1,
    connect: async () => host,
    onEvent: () => undefined,
    log: () => undefined,
    owner: 'test',
    secrets: [],
  });
  return { report, log: host.log };
}

test('background steps run one at a time, beside the steps after them; a step waits for those it names in `after`', async (t) => {
  const { report, log } = await apply([
    command('a', 'slow', { background: true }),
    command('b', 'slow', { background: true }),
    command('c', 'quick'),
    command('d', 'quick', { after: ['command:b'] }),
  ]);
  t.true(report.ok, JSON.stringify(report.hosts));
  const at = (e: string): number => log.indexOf(e);
  t.true(at('start c') < at('end a'), `c ran while a did: ${log.join(', ')}`);
  t.true(at('end a') < at('start b'), `one background step at a time: ${log.join(', ')}`);
  t.true(at('end b') < at('start d'), `d waited for b: ${log.join(', ')}`);
  t.deepEqual(
    report.hosts[0]!.steps.map((s) => s.status),
    ['changed', 'changed', 'changed', 'changed'],
  );
});

test('a failed background step fails the host; the step that waits for it, and the lane after it, do not run', async (t) => {
  const { report, log } = await apply([
    command('a', 'fail', { background: true }),
    command('b', 'slow', { background: true }),
    command('c', 'quick'),
    command('d', 'quick', { after: ['command:a'] }),
  ]);
  t.false(report.ok);
  t.regex(report.hosts[0]!.error ?? '', /a broke/);
  t.false(log.includes('start b'), log.join(', '));
  t.false(log.includes('start d'), log.join(', '));
  t.true(log.includes('end c'), 'the steps that do not need it went on');
});

test('a host whose step fails waits for its background step to finish before it lets go of the host', async (t) => {
  const { report, log } = await apply([
    command('a', 'slow', { background: true }),
    command('c', 'fail'),
  ]);
  t.false(report.ok);
  t.regex(report.hosts[0]!.error ?? '', /c broke/);
  t.true(log.includes('end a'), `the migration was not cut off: ${log.join(', ')}`);
});

test('a failed background step that nothing names still fails the host, at the end', async (t) => {
  const { report, log } = await apply([
    command('a', 'fail', { background: true }),
    command('c', 'quick'),
  ]);
  t.false(report.ok);
  t.regex(report.hosts[0]!.error ?? '', /a broke/);
  t.true(log.includes('end c'));
});
