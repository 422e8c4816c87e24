import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labNameProblem, labPaths } from '../../src/lab/lab-name.js';
import { readLabRecord, recordedSlots, writeLabRecord } from '../../src/lab/lab-state.js';
import { writeFileIfChanged } from '../../src/lab/files.js';
import { nodeTable } from '../../src/lab/node-table.js';

const made: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'cairn-lab-state-'));
  made.push(d);
  return d;
};
test.after.always(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

test('lab names', (t) => {
  t.is(labNameProblem('lab'), undefined);
  t.is(labNameProblem('lab-2'), undefined);
  t.is(labNameProblem(''), 'lab name is empty');
  t.is(labNameProblem('Lab'), "lab name 'Lab' must be lower-case letters, digits and single dashes, starting with a letter");
  t.is(labNameProblem('a--b'), "lab name 'a--b' must be lower-case letters, digits and single dashes, starting with a letter");
  t.is(labNameProblem('2lab'), "lab name '2lab' must be lower-case letters, digits and single dashes, starting with a letter");
  t.is(labNameProblem('a'.repeat(21)), `lab name '${'a'.repeat(21)}' is longer than 20 characters`);
});

test('lab records round-trip; other labs reserve their slots; damage is reported', (t) => {
  const root = tmp();
  const a = labPaths(root, 'a');
  const b = labPaths(root, 'b');
  t.is(readLabRecord(a.stateFile), undefined);
  t.true(writeLabRecord(a.stateFile, { name: 'a', provider: 'docker', slot: 42, controllers: 1, computes: 2 }));
  t.false(writeLabRecord(a.stateFile, { name: 'a', provider: 'docker', slot: 42, controllers: 1, computes: 2 }), 'unchanged: not rewritten');
  t.deepEqual(readLabRecord(a.stateFile), { name: 'a', provider: 'docker', slot: 42, controllers: 1, computes: 2 });
  writeLabRecord(b.stateFile, { name: 'b', provider: 'docker', slot: 43, controllers: 1, computes: 1 });
  t.deepEqual([...recordedSlots(root, 'a')], [[43, 'b']]);
  mkdirSync(join(root, '.cairn', 'labs', 'c'));
  writeFileSync(join(root, '.cairn', 'labs', 'c', 'lab.json'), '{"name": 1}');
  t.deepEqual(readLabRecord(join(root, '.cairn', 'labs', 'c', 'lab.json')), {
    problem: `${join(root, '.cairn', 'labs', 'c', 'lab.json')} is not a lab record (delete it, or run \`cairn lab down\` first)`,
  });
  t.deepEqual([...recordedSlots(root, 'a')], [[43, 'b']], 'a damaged record reserves nothing');
});

test('files are written only when they change, with the mode asked for', (t) => {
  const f = join(tmp(), 'd', 'x.ini');
  t.true(writeFileIfChanged(f, 'a', 0o600));
  t.is(statSync(f).mode & 0o777, 0o600);
  const mtime = statSync(f).mtimeMs;
  t.false(writeFileIfChanged(f, 'a', 0o600));
  t.is(statSync(f).mtimeMs, mtime);
  t.true(writeFileIfChanged(f, 'b', 0o600));
  t.is(readFileSync(f, 'utf8'), 'b');
});

test('the node table', (t) => {
  t.is(
    nodeTable([
      { name: 'lab-ctrl1', role: 'controller', managementAddress: '198.18.10.11', externalAddress: '198.19.10.11', state: 'running' },
      { name: 'lab-cmp1', role: 'compute', managementAddress: '198.18.10.21', externalAddress: '198.19.10.21', state: 'exited' },
    ]),
    [
      'NAME       ROLE        MANAGEMENT    EXTERNAL      STATE',
      'lab-ctrl1  controller  198.18.10.11  198.19.10.11  running',
      'lab-cmp1   compute     198.18.10.21  198.19.10.21  exited',
    ].join('\n'),
  );
});
