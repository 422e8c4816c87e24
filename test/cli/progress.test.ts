import test from 'ava';
import { plainProgress } from '../../src/cli/progress.js';

const lines = (verbose: boolean, ...events: Parameters<ReturnType<typeof plainProgress>['onEvent']>[0][]): string[] => {
  const err: string[] = [];
  const progress = plainProgress({ out: () => undefined, err: (l) => err.push(l) }, verbose);
  for (const e of events) progress.onEvent(e);
  return err;
};

test('a changed step says what it found before and what its action left after, not both as one', (t) => {
  const [line] = lines(false, { type: 'step', host: 'cmp1', step: 'bridge:br-tunnel', title: 'OVS bridge br-tunnel with port eth1', status: 'changed', reason: 'eth1 is not a port of br-tunnel', ms: 12, detail: 'eth1 is a port of br-tunnel' });
  t.is(line, 'cmp1: ~ OVS bridge br-tunnel with port eth1: eth1 is not a port of br-tunnel; now: eth1 is a port of br-tunnel [12 ms]');
});

test('a check shows what it read in parentheses; unchanged steps only when verbose', (t) => {
  const check = { type: 'step', host: 'ctrl1', step: 'wait:chrony-sync', title: 'clock synchronised (chrony)', status: 'ok', reason: 'check', ms: 3, detail: 'Stratum 9' } as const;
  t.deepEqual(lines(false, check), []);
  t.deepEqual(lines(true, check), ['ctrl1:   clock synchronised (chrony): check (Stratum 9) [3 ms]']);
});
