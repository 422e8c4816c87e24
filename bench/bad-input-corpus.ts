/**
 * Every case of the bad-input corpus (test/fixtures/bad-inputs.ts) as its own process, the way
 * a user meets it: wall time from spawn to exit and peak memory (maxRSS). Limits (the hardening
 * issue): each under 2 s and 200 MB, no stack trace, exit 2. There is no peer to compare with:
 * Packstack does not validate its answer file. Run: npm run bench:bad-inputs
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BAD_INPUTS, writeBases } from '../test/fixtures/bad-inputs.js';

const LIMIT_MS = 2000;
const LIMIT_KB = 200 * 1024;
const one = join(dirname(fileURLToPath(import.meta.url)), 'bad-input-one.js');

interface Row {
  name: string;
  ms: number;
  maxRssKb: number;
  code: number;
  trace: boolean;
}

const rows: Row[] = [];
for (const c of BAD_INPUTS) {
  const dir = writeBases(tmpdir());
  const file = join(dir, c.kind === 'answer' ? 'bad.ini' : 'bad.yml');
  writeFileSync(file, c.content);
  const args = c.kind === 'answer' ? [file] : [join(dir, 'inv.ini'), file];
  const t0 = process.hrtime.bigint();
  // A hang would be the bug this looks for: the timeout turns it into a failed row.
  const r = spawnSync(process.execPath, [one, ...args], { encoding: 'utf8', timeout: 30_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const last = /BENCH (\{.*\})\s*$/.exec(r.stdout ?? '');
  const parsed = last ? (JSON.parse(last[1]!) as { code: number; maxRssKb: number }) : { code: r.status ?? -1, maxRssKb: -1 };
  rows.push({ name: `${c.kind}: ${c.name}`, ms, maxRssKb: parsed.maxRssKb, code: parsed.code, trace: /internal error|\n\s+at /.test(r.stderr ?? '') });
}

const bad = rows.filter((r) => r.ms > LIMIT_MS || r.maxRssKb > LIMIT_KB || r.maxRssKb < 0 || r.code !== 2 || r.trace);
const byTime = [...rows].sort((a, b) => b.ms - a.ms);
const byMem = [...rows].sort((a, b) => b.maxRssKb - a.maxRssKb);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`bad-input corpus: ${rows.length} cases, each its own process (cairn validate)`);
console.log(`wall time  median ${median(rows.map((r) => r.ms)).toFixed(0)} ms, max ${byTime[0]!.ms.toFixed(0)} ms (${byTime[0]!.name}); limit ${LIMIT_MS} ms`);
console.log(`peak RSS   median ${(median(rows.map((r) => r.maxRssKb)) / 1024).toFixed(0)} MB, max ${(byMem[0]!.maxRssKb / 1024).toFixed(0)} MB (${byMem[0]!.name}); limit ${LIMIT_KB / 1024} MB`);
console.log('slowest five:');
for (const r of byTime.slice(0, 5)) console.log(`  ${r.ms.toFixed(0).padStart(6)} ms ${(r.maxRssKb / 1024).toFixed(0).padStart(4)} MB  ${r.name}`);
console.log(`over a limit, not exit 2, or a stack trace: ${bad.length}`);
for (const r of bad) console.log(`  ${r.name}: ${r.ms.toFixed(0)} ms, ${(r.maxRssKb / 1024).toFixed(0)} MB, exit ${r.code}${r.trace ? ', stack trace' : ''}`);
process.exitCode = bad.length === 0 ? 0 : 1;
