import test from 'ava';
import { failureExcerpt } from '../../src/apply/failure-excerpt.js';
import { stepError } from '../../src/apply/host-error.js';

/** apt-get's output when a postinst fails: the reason far above the closing summary. */
function aptFailure(noiseAfter: number): string {
  return [
    'Reading package lists...',
    ...Array.from({ length: 30 }, (_, i) => `Unpacking pkg${i} ...`),
    'Setting up openstack-dashboard (3:23.0.0-5+deb12u2) ...',
    'Traceback (most recent call last):',
    '  File "/usr/share/openstack-dashboard/manage.py", line 20, in <module>',
    "OSError: [Errno 28] No space left on device: '/var/lib/openstack-dashboard/static/js'",
    'dpkg: error processing package openstack-dashboard (--configure):',
    ' installed openstack-dashboard package post-installation script subprocess returned error exit status 1',
    ...Array.from({ length: noiseAfter }, (_, i) => `Setting up other${i} ...`),
    'Errors were encountered while processing:',
    ' openstack-dashboard',
    'E: Sub-process /usr/bin/dpkg returned an error code (1)',
  ].join('\n');
}

test('a postinst failure far above the end: its output and dpkg line come first, then the tail', (t) => {
  const { text, block } = failureExcerpt(aptFailure(100));
  t.true(block);
  const lines = text.split('\n');
  t.true(lines.includes("OSError: [Errno 28] No space left on device: '/var/lib/openstack-dashboard/static/js'"));
  t.true(lines.includes('dpkg: error processing package openstack-dashboard (--configure):'));
  t.true(lines.some((l) => /^… \(\d+ lines left out\)$/.test(l)));
  t.is(lines.at(-1), 'E: Sub-process /usr/bin/dpkg returned an error code (1)');
  // 12 lines before the error line, the error's two lines, the gap line, 15 tail lines.
  t.is(lines.length, 12 + 2 + 1 + 15);
  t.is(lines[0], 'Unpacking pkg22 ...');
});

test('an error already within the last lines: only the tail, nothing repeated', (t) => {
  const out = aptFailure(2);
  const { text, block } = failureExcerpt(out);
  t.false(block);
  t.is(text, out.split('\n').slice(-15).join('\n'));
});

test('output without a dpkg error: the last lines', (t) => {
  const out = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n');
  t.deepEqual(failureExcerpt(out), { text: Array.from({ length: 15 }, (_, i) => `line ${i + 25}`).join('\n'), block: false });
});

test('the block stops where the tail starts (no line twice)', (t) => {
  // The error's second line is the first tail line.
  const lines = [...Array.from({ length: 20 }, (_, i) => `a${i}`), 'dpkg: error processing package x (--configure):', ' x failed', ...Array.from({ length: 14 }, (_, i) => `b${i}`)];
  const { text } = failureExcerpt(lines.join('\n'));
  const got = text.split('\n');
  t.is(new Set(got).size, got.length);
  t.false(got.some((l) => l.startsWith('…')));
});

test("a failed step's message carries the excerpt under its own heading", (t) => {
  const e = stepError('ctrl1', 'packages', 'command failed', ['apt-get', 'install', 'x'], 100, aptFailure(100));
  t.regex(e.message, /output \(dpkg's first error, then the last lines\):\n(.*\n)*    OSError: \[Errno 28\]/);
  const plain = stepError('ctrl1', 'packages', 'command failed', ['true'], 1, 'oops');
  t.regex(plain.message, /last lines of output:\n    oops$/);
});
