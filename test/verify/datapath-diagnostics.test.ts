import test from 'ava';
import { execFileSync } from 'node:child_process';
import { diagnosticsScript, formatDiagnostics, hostsToDiagnose, DATAPATH_COMMANDS } from '../../src/verify/datapath-diagnostics.js';
import type { CheckResult } from '../../src/verify/checks.js';

const r = (check: string, host: string, ok: boolean): CheckResult => ({ check, host, ok, detail: '' });

test('a guest network failure reads its compute and the network host, once each; other failures read nothing', (t) => {
  t.deepEqual(hostsToDiagnose([r('active', 'cmp1', true), r('dhcp', 'cmp2', false), r('ping-east-west', 'cmp1', false), r('ping-external', 'cmp2', false)], 'ctrl1'), ['cmp2', 'cmp1', 'ctrl1']);
  t.deepEqual(hostsToDiagnose([r('dhcp', 'ctrl1', false)], 'ctrl1'), ['ctrl1']);
  // Nova's failures (no guest ACTIVE) and the run's own steps are not the datapath's.
  t.deepEqual(hostsToDiagnose([r('active', 'cmp1', false), r('clean', 'ctrl1', false), r('dhcp', 'cmp2', true)], 'ctrl1'), []);
});

test('the script prints every command under its header, also after one fails or is missing', (t) => {
  const script = diagnosticsScript([['sh', '-c', 'echo first; exit 3'], ['cairn-no-such-command', '--x'], ['echo', "it's last"]]);
  const out = execFileSync('sh', ['-c', script], { encoding: 'utf8' });
  const lines = out.trim().split('\n');
  t.is(lines[0], '### sh -c echo first; exit 3');
  t.is(lines[1], 'first');
  t.is(lines[2], '### cairn-no-such-command --x');
  t.regex(lines[3] ?? '', /not found/);
  t.is(lines[4], "### echo it's last");
  t.is(lines[5], "it's last");
});

test('the commands only read: no OVS or ip command that changes state', (t) => {
  for (const argv of DATAPATH_COMMANDS) {
    t.notRegex(argv.join(' '), /\b(add|del|set|mod|replace|flush|restart)\b/, argv.join(' '));
  }
  t.true(DATAPATH_COMMANDS.some((a) => a.join(' ') === 'ovs-appctl tnl/neigh/show'));
});

test('the file has one section per host', (t) => {
  t.is(formatDiagnostics([{ host: 'cmp2', text: '### a\nx\n\n' }, { host: 'ctrl1', text: 'y' }]), '======== cmp2\n### a\nx\n\n======== ctrl1\ny\n');
});
