/** The `times:` line of a deploy: per phase, the slowest host; background steps apart. */
import test from 'ava';
import type { ApplyReport } from '../../src/apply/apply-plan.js';
import { phaseTimes } from '../../src/cli/deploy-report.js';
import type { Plan, Step } from '../../src/plan/steps.js';

const command = (id: string, phase: string, background = false): Step => ({
  kind: 'command',
  id,
  title: id,
  phase,
  argv: ['true'],
  ...(background ? { background: true } : {}),
});

test('times: the slowest host per phase; a background step counts apart, not in the phase it overlapped', (t) => {
  const plan: Plan = {
    hosts: [
      {
        host: 'a',
        address: '198.18.0.1',
        osFamily: 'debian',
        sudo: false,
        steps: [
          command('command:x:db-sync', 'bootstrap', true),
          command('command:x:ready', 'bootstrap'),
        ],
      },
      {
        host: 'b',
        address: '198.18.0.2',
        osFamily: 'debian',
        sudo: false,
        steps: [command('command:y:setup', 'bootstrap')],
      },
    ],
  };
  const step = (id: string, ms: number): ApplyReport['hosts'][number]['steps'][number] => ({
    id,
    title: id,
    status: 'changed',
    reason: '',
    ms,
  });
  const report: ApplyReport = {
    ok: true,
    prechecks: [],
    hosts: [
      {
        host: 'a',
        steps: [step('command:x:ready', 4000), step('command:x:db-sync', 20000)],
        notes: [],
      },
      { host: 'b', steps: [step('command:y:setup', 6000)], notes: [] },
    ],
  };
  const marks = [
    { phase: 'connect', at: 0 },
    { phase: 'apply', at: 1000 },
    { phase: 'done', at: 22000 },
  ];
  t.is(
    phaseTimes(marks, report, plan, 5000),
    'connect+facts 1.0 s, apply 21.0 s (slowest host per phase: background 20.0 s, bootstrap 6.0 s), verify 5.0 s',
  );
});
