/**
 * Keystone availability during a containers-mode upgrade and an automatic rollback (issue #6).
 *
 * Against a deployment already running in containers mode (`cairn containers deploy`), with a
 * probe requesting a scoped token (POST /v3/auth/tokens) every 100 ms from this machine:
 *   1. upgrade keystone to a new build (`cairn images build --service keystone`, a new tag);
 *   2. upgrade keystone to a deliberately broken build (cannot start) -> automatic restore;
 *   3. `cairn rollback --service keystone` to the tag before.
 * For each: failed probes, the longest run of consecutive failures (unavailability), and for
 * the refused version the time from its failed health verdict to the old one healthy again
 * (from the history). Goals: < 5 s unavailable per host, restore < 15 s.
 *
 * Run: npm run build && node dist/bench/containers-upgrade.js ANSWER_FILE [INVENTORY]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { loadDeployment } from '../src/config/deployment.js';
import { controllerOf } from '../src/config/model.js';
import { HISTORY_FILE, readHistory } from '../src/containers/history.js';
import { listCairnImages } from '../src/containers/image-build.js';
import { imageRef, nextTag, parseTag } from '../src/containers/images.js';
import { keystoneUrl } from '../src/services/common.js';
import { buildBrokenKeystone } from '../test/containers/broken-image.js';

const here = new URL('.', import.meta.url).pathname;
const cairn = join(here, '..', '..', 'bin', 'cairn.js');

interface Probe {
  at: number;
  ok: boolean;
}

/**
 * Runs cairn with `args`; resolves with its exit code. Its output lines go to stderr prefixed
 * with the seconds since `t0`, the time base the outage windows are printed in.
 */
function run(args: string[], t0 = Date.now()): Promise<number> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [cairn, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const stamp = (d: Buffer): void => {
      for (const line of d.toString().split('\n').filter(Boolean)) process.stderr.write(`[+${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${line}\n`);
    };
    c.stdout.on('data', stamp);
    c.stderr.on('data', stamp);
    c.on('close', (code) => resolve(code ?? 1));
  });
}

/**
 * Requests a token every 100 ms until stopped. Each probe asks Keystone for a new project-scoped
 * token in exchange for an existing one (the `token` auth method): a full token issue (fernet,
 * database, catalog) without bcrypt. Password auth at 10 per second is bcrypt-bound: on the
 * shared 2-core lab machine (load ~40) each took ~10 s, the listen queue filled, and the probe
 * measured CPU starvation instead of the upgrade. The password is used once, in a request body.
 */
async function startProbe(url: string, user: string, password: string): Promise<{ stop: () => Promise<Probe[]> }> {
  const scope = { project: { name: 'admin', domain: { id: 'default' } } };
  const first = await fetch(`${url}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } }, scope } }),
    signal: AbortSignal.timeout(60_000),
  });
  const token = first.headers.get('x-subject-token');
  if (first.status !== 201 || !token) throw new Error(`keystone did not issue the probe's first token (HTTP ${first.status})`);
  const body = JSON.stringify({ auth: { identity: { methods: ['token'], token: { id: token } }, scope } });
  const probes: Probe[] = [];
  let stopped = false;
  const inflight = new Set<Promise<void>>();
  const timer = setInterval(() => {
    if (stopped) return;
    const at = Date.now();
    const p = fetch(`${url}/auth/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(2000) })
      .then((r) => void probes.push({ at, ok: r.status === 201 }))
      .catch(() => void probes.push({ at, ok: false }))
      .finally(() => inflight.delete(p));
    inflight.add(p);
  }, 100);
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await Promise.all([...inflight]);
      return probes.sort((a, b) => a.at - b.at);
    },
  };
}

/** Failed count, the longest failing stretch, and every failing stretch as [start s, length s] from `t0`. */
function summarise(probes: readonly Probe[], t0: number): { total: number; failed: number; longestOutageMs: number; outages: string[] } {
  let longest = 0;
  let since: number | undefined;
  const outages: string[] = [];
  const close = (end: number): void => {
    longest = Math.max(longest, end - since!);
    outages.push(`+${((since! - t0) / 1000).toFixed(1)}s for ${((end - since!) / 1000).toFixed(1)}s`);
    since = undefined;
  };
  for (const p of probes) {
    if (!p.ok && since === undefined) since = p.at;
    if (p.ok && since !== undefined) close(p.at);
  }
  if (since !== undefined) close(probes.at(-1)!.at + 100);
  return { total: probes.length, failed: probes.filter((p) => !p.ok).length, longestOutageMs: longest, outages };
}

async function measured(label: string, url: string, user: string, password: string, args: string[]): Promise<{ label: string; code: number; ms: number } & ReturnType<typeof summarise>> {
  const probe = await startProbe(url, user, password);
  await new Promise((r) => setTimeout(r, 1000)); // a second of baseline
  const start = Date.now();
  const code = await run(args, start);
  const ms = Date.now() - start;
  await new Promise((r) => setTimeout(r, 1000));
  return { label, code, ms, ...summarise(await probe.stop(), start) };
}

async function main(): Promise<void> {
  const [answerFile, inventory] = process.argv.slice(2);
  if (!answerFile) throw new Error('usage: node dist/bench/containers-upgrade.js ANSWER_FILE [INVENTORY]');
  const { deployment: d } = loadDeployment({
    answerFile,
    answerText: readFileSync(answerFile, 'utf8'),
    ...(inventory ? { inventoryFile: inventory, inventoryText: readFileSync(inventory, 'utf8') } : {}),
  });
  if (!d) throw new Error(`${answerFile}: invalid (run cairn validate)`);
  const files = ['-a', answerFile, ...(inventory ? ['-i', inventory] : [])];
  const docker = new Docker();
  const tags = (await listCairnImages(docker)).map((r) => r.tag);
  const good = nextTag(d.release, tags);
  const broken = `${d.release}-${parseTag(good)!.build + 1}`;
  console.error(`building keystone ${good} (cached layers, a new image) and a broken ${broken}`);
  if ((await run(['images', 'build', '--service', 'keystone', '--tag', good])) !== 0) throw new Error('image build failed');
  await buildBrokenKeystone(docker, good, broken);

  const url = keystoneUrl(d);
  const user = d.keystone.adminUser;
  const pw = d.keystone.adminPassword;
  let rows: Awaited<ReturnType<typeof measured>>[];
  try {
    rows = [
      await measured(`upgrade to ${good}`, url, user, pw, ['upgrade', ...files, '--service', 'keystone', '--tag', good]),
      await measured(`upgrade to broken ${broken} (automatic restore)`, url, user, pw, ['upgrade', ...files, '--service', 'keystone', '--tag', broken]),
      await measured('rollback (to the tag before)', url, user, pw, ['rollback', ...files, '--service', 'keystone']),
    ];
  } finally {
    // Left here, the broken build would be the newest keystone: what `cairn deploy` without
    // --tag runs.
    await docker.getImage(imageRef('keystone', broken)).remove().catch(() => undefined);
  }
  const restore = readHistory(HISTORY_FILE, 'keystone').filter((r) => r.to === broken && r.outcome === 'restored').at(-1);
  console.log(`\nkeystone on ${controllerOf(d).name}, token probe every 100 ms:`);
  for (const r of rows) {
    console.log(`${r.label.padEnd(44)} exit ${r.code}  ${(r.ms / 1000).toFixed(1).padStart(5)} s  probes ${String(r.total).padStart(4)}  failed ${String(r.failed).padStart(3)}  longest outage ${(r.longestOutageMs / 1000).toFixed(1)} s`);
    if (r.outages.length) console.log(`  failing stretches (time from the command's start, as in its output above): ${r.outages.join(', ')}`);
  }
  if (restore?.restoreMs !== undefined) console.log(`restore after the failed health verdict: ${(restore.restoreMs / 1000).toFixed(1)} s (goal < 15 s)`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
