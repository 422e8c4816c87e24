/**
 * Every case of the bad-input corpus (test/fixtures/bad-inputs.ts) through `cairn validate`
 * as a user runs it: exit 2, no stack trace, the expected message at the expected file, line
 * and key, and every line of stderr in the documented shape. The two valid bases pass first,
 * so each failure is the mutation's.
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { BAD_INPUTS, writeBases, type BadInput } from '../fixtures/bad-inputs.js';

async function validate(answer: string, inventory?: string): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const argv = ['validate', '-a', answer, ...(inventory ? ['-i', inventory] : [])];
  const code = await main(argv, { out: () => undefined, err: (l) => err.push(l) });
  return { code, err: err.join('\n') };
}

const workdir = (): string => writeBases(tmpdir());

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** What a line of validate's stderr may look like (README: "FILE:LINE: KEY: message"). */
const SHAPE = /^(warning: )?[^\s:]+(:\d+(:\d+)?)?: .+: .+$|^[^\s:]+( \+ [^\s:]+)?: invalid \(\d+ errors?, \d+ warnings?\)$|^cairn: cannot read (answer file|inventory) \S+: .+$/;

test('the corpus has at least 150 cases, with unique names', (t) => {
  t.true(BAD_INPUTS.length >= 150, `${BAD_INPUTS.length} cases`);
  const names = BAD_INPUTS.map((c) => `${c.kind} ${c.name}`);
  t.deepEqual(names.filter((n, i) => names.indexOf(n) !== i), []);
});

test('both valid bases validate', async (t) => {
  const dir = workdir();
  const a = await validate(join(dir, 'answer.ini'));
  t.is(a.code, 0, a.err);
  const i = await validate(join(dir, 'inv.ini'), join(dir, 'inventory.yml'));
  t.is(i.code, 0, i.err);
});

function check(c: BadInput): void {
  test(`${c.kind}: ${c.name}`, async (t) => {
    const dir = workdir();
    const file = join(dir, c.kind === 'answer' ? 'bad.ini' : 'bad.yml');
    writeFileSync(file, c.content);
    const r = c.kind === 'answer' ? await validate(file) : await validate(join(dir, 'inv.ini'), file);
    t.is(r.code, 2, r.err);
    t.notRegex(r.err, /internal error|\n\s+at |Error: /, 'no stack trace, no raw exception');
    const expected = new RegExp(c.expect.replaceAll('{FILE}', esc(file)).replaceAll('{LINE}', String(c.line ?? 0)));
    t.regex(r.err, expected);
    for (const line of r.err.split('\n')) t.regex(line.slice(0, 2000), SHAPE, 'every line in the documented shape');
  });
}
for (const c of BAD_INPUTS) check(c);
