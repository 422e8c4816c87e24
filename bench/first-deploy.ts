/**
 * First deploy of a fresh 3-node lab, phase by phase (issue #20): how long a new user waits.
 *
 * Each run: `cairn lab up` of a lab of its own, then `cairn deploy` of the lab's answer file (verify
 * and demo provisioning included), timed from outside; the deploy's own `times:` line gives the
 * phases (apply's split is the slowest host per phase: hosts run in parallel). Runs, in order:
 *   off   the lab's package cache bypassed (CAIRN_APT_PROXY emptied in the answer file): every
 *         node reads Debian's archive itself, as before the cache;
 *   cold  the cache on and empty (a purged lab): the archive is read once, for all nodes;
 *   warm  the cache on and full (the same lab name again after `lab down`, which keeps it);
 *   recommends  as cold, with CAIRN_INSTALL_RECOMMENDS=y: what every deploy installed before
 *         cairn left recommended packages out (about twice the packages on a compute);
 *   containers  the cache kept from the run before, CAIRN_DEPLOY_MODE=containers: the service images must be built
 *         already (`cairn images build`; the bench does not time the build).
 * The table puts them side by side, with the figures the README had before the cache for the
 * same machine. Each lab is removed at the end (the cache volume of the last one is kept only
 * with --keep-cache).
 *
 * Run: npm run build && node dist/bench/first-deploy.js [--runs off,cold,warm,recommends,containers] [--name bench]
 * About 12-20 minutes per run on the 2-core lab machine; not part of CI.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const root = join(here, '..', '..');
const cairn = join(root, 'bin', 'cairn.js');

type RunKind = 'off' | 'cold' | 'warm' | 'recommends' | 'containers';
const KINDS: readonly RunKind[] = ['off', 'cold', 'warm', 'recommends', 'containers'];

/** The README's packages-mode first deploys before the cache (issue #20's measurements). */
const BEFORE = 'README before the cache: packages 263-930 s, bootstrap 380-420 s, units ~120 s, verify 15-115 s';

interface Result {
  kind: RunKind;
  code: number;
  wallSeconds: number;
  /** Phase -> seconds, from the deploy's `times:` line. */
  phases: Map<string, number>;
}

/** Runs cairn; resolves with its exit code and stdout. Output is echoed to stderr with the elapsed time. */
function run(args: string[]): Promise<{ code: number; out: string }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [cairn, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const echo = (d: Buffer): void => {
      for (const line of d.toString().split('\n').filter(Boolean)) process.stderr.write(`[+${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
    };
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      echo(d);
    });
    c.stderr.on('data', echo);
    c.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

/**
 * Phase seconds from a `times:` line: "connect+facts 0.3 s, prechecks 0.0 s, apply 612.0 s
 * (slowest host per phase: packages 420.0 s, bootstrap 150.1 s), provision 12.5 s, verify 30.2 s".
 */
function parseTimes(out: string): Map<string, number> {
  const line = /^times: (.*)$/m.exec(out)?.[1] ?? '';
  const phases = new Map<string, number>();
  for (const m of line.matchAll(/([a-z+-]+) (\d+(?:\.\d+)?) s/g)) phases.set(m[1]!, Number(m[2]));
  return phases;
}

/** One key of the lab's answer file set to `value` (the lab writes every key). */
function setKey(answerFile: string, key: string, value: string): void {
  const text = readFileSync(answerFile, 'utf8');
  const re = new RegExp(`^${key}=.*$`, 'm');
  if (!re.test(text)) throw new Error(`${answerFile} has no ${key}`);
  writeFileSync(answerFile, text.replace(re, `${key}=${value}`));
}

async function oneRun(kind: RunKind, name: string): Promise<Result> {
  // warm and containers keep the cache of the run before; the others start from nothing (no
  // cache, new keys and answer file).
  const keepCache = kind === 'warm' || kind === 'containers';
  await run(['lab', 'down', '--name', name, ...(keepCache ? [] : ['--purge'])]);
  const up = await run(['lab', 'up', '--name', name]);
  if (up.code !== 0) return { kind, code: up.code, wallSeconds: 0, phases: new Map() };
  const answerFile = join(root, 'answer-files', `${name}.ini`);
  if (kind === 'off') setKey(answerFile, 'CAIRN_APT_PROXY', '');
  if (kind === 'recommends') setKey(answerFile, 'CAIRN_INSTALL_RECOMMENDS', 'y');
  if (kind === 'containers') setKey(answerFile, 'CAIRN_DEPLOY_MODE', 'containers');
  const t0 = Date.now();
  const deploy = await run(['deploy', '-a', answerFile, '-i', join(root, 'inventory', `${name}.yml`)]);
  return { kind, code: deploy.code, wallSeconds: (Date.now() - t0) / 1000, phases: parseTimes(deploy.out) };
}

/** The table: a row per phase, a column per run. */
function table(results: readonly Result[]): string {
  const phases = ['connect+facts', 'prechecks', 'apply', 'packages', 'repos', 'files', 'bootstrap', 'units', 'provision', 'verify'];
  const seen = new Set(results.flatMap((r) => [...r.phases.keys()]));
  const rows = [...phases.filter((p) => seen.has(p)), ...[...seen].filter((p) => !phases.includes(p)).sort()];
  const cell = (v: number | undefined): string => (v === undefined ? '-' : `${v.toFixed(1)} s`).padStart(10);
  const lines = [`${'phase'.padEnd(14)}${results.map((r) => r.kind.padStart(10)).join('')}`];
  for (const p of rows) lines.push(`${p.padEnd(14)}${results.map((r) => cell(r.phases.get(p))).join('')}`);
  lines.push(`${'deploy (wall)'.padEnd(14)}${results.map((r) => cell(r.wallSeconds)).join('')}`);
  lines.push(`${'exit code'.padEnd(14)}${results.map((r) => String(r.code).padStart(10)).join('')}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (flag: string, dflt: string): string => {
    const i = args.indexOf(flag);
    return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
  };
  const kinds = opt('--runs', 'off,cold,warm').split(',') as RunKind[];
  const unknown = kinds.filter((k) => !KINDS.includes(k));
  if (unknown.length > 0) {
    process.stderr.write(`--runs: unknown ${unknown.join(', ')}; expected a comma-separated list of ${KINDS.join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  const name = opt('--name', 'bench');
  const results: Result[] = [];
  for (const kind of kinds) {
    process.stderr.write(`\n=== first deploy, package cache ${kind} ===\n`);
    results.push(await oneRun(kind, name));
  }
  await run(['lab', 'down', '--name', name, ...(args.includes('--keep-cache') ? [] : ['--purge'])]);
  process.stdout.write(`\nfirst deploy of a fresh 3-node lab, slowest host per phase\n${table(results)}\n${BEFORE}\n`);
  const warm = results.find((r) => r.kind === 'warm');
  const off = results.find((r) => r.kind === 'off');
  if (warm && off && warm.wallSeconds > 0) process.stdout.write(`warm cache vs no cache: ${(off.wallSeconds / warm.wallSeconds).toFixed(2)}x faster\n`);
  const cold = results.find((r) => r.kind === 'cold');
  const recs = results.find((r) => r.kind === 'recommends');
  if (cold && recs && cold.wallSeconds > 0) process.stdout.write(`without vs with recommended packages (both cold): ${(recs.wallSeconds / cold.wallSeconds).toFixed(2)}x faster\n`);
  process.exitCode = results.every((r) => r.code === 0) ? 0 : 1;
}

await main();
