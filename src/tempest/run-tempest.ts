/**
 * `cairn verify --tempest`: OpenStack's own integration suite against the deployed cloud.
 *
 * On the control host (the APIs are there in both modes, and Debian's archive is reachable from
 * it; in containers mode Tempest is a client on the host, like the admin credentials):
 * Debian's tempest package installed once, a Tempest workspace in /var/lib/cairn/tempest,
 * its tempest.conf written from the Deployment (tempest-conf.ts) with the IDs of what demo
 * provisioning made, then `tempest run` with the chosen tests. Progress comes from its output
 * while it runs; the result from its subunit stream, which is kept (with a readable report) in
 * the local run directory. Nothing is edited by hand and no image is downloaded: the guest is
 * cairn's own (cairn images guest).
 */
import type { Deployment } from '../config/model.js';
import { controllerOf } from '../config/model.js';
import { secretsOf } from '../config/secrets.js';
import { HostError, UsageError, tailLine } from '../errors.js';
import { containerName } from '../containers/desired.js';
import { keystoneContainer } from '../containers/services.js';
import { apiRunner, jsonLines } from '../provision/api-runner.js';
import { demoSpec, type DemoSpec } from '../provision/demo-spec.js';
import { packageRoot } from '../render/templates.js';
import { shellQuote } from '../services/common.js';
import { connectSsh } from '../transport/ssh-transport.js';
import type { Transport } from '../transport/transport.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempestConf, type CloudIds } from './tempest-conf.js';
import {
  parseTempestLines,
  summarize,
  type TempestReport,
  type TempestTest,
} from './tempest-report.js';

/** The Tempest workspace on the control host. */
export const WORKSPACE = '/var/lib/cairn/tempest';

/** Which tests, and how. */
export interface TempestOptions {
  /** Tempest's smoke set (the default when no regex is given). */
  smoke?: boolean;
  /** A `tempest run --regex` selection. */
  regex?: string;
  /** Test workers (tempest run --concurrency); default 2. */
  concurrency?: number;
  trustNewHosts?: boolean;
  /** Progress: tests done so far of the total. */
  onProgress?: (p: { done: number; total: number; failed: number; ms: number }) => void;
  /** A phase starting (install, configure, list, run, results). */
  onPhase?: (what: string) => void;
  /** How often progress is read off the run's output. */
  pollMs?: number;
}

/** A run's outcome, with the files to keep. */
export interface TempestRun {
  report: TempestReport;
  tests: TempestTest[];
  /** The subunit v2 stream of the run. */
  subunit: Buffer;
  /** What `tempest run` printed. */
  output: string;
  /** The selection, as `tempest run` arguments. */
  selection: string[];
}

/** `tempest run` arguments of the selection; a regex and --smoke together are refused. */
export function selectionArgs(opts: Pick<TempestOptions, 'smoke' | 'regex'>): string[] {
  if (opts.regex !== undefined && opts.smoke)
    throw new UsageError(
      'verify --tempest: --smoke and --regex choose the tests two ways: give one',
    );
  if (opts.regex !== undefined) {
    if (opts.regex.trim() === '')
      throw new UsageError(
        'verify --tempest: --regex is empty: give a regular expression of test ids (e.g. tempest.api.compute)',
      );
    try {
      new RegExp(opts.regex);
    } catch (e) {
      throw new UsageError(
        `verify --tempest: --regex ${JSON.stringify(opts.regex)} is not a regular expression: ${(e as Error).message}`,
      );
    }
    return ['--regex', opts.regex];
  }
  return ['--smoke'];
}

/**
 * What Tempest needs of the deployment itself, checked before any host is touched: the guest
 * image, flavors and external network of demo provisioning. Throws UsageError; returns the
 * demo resources' names.
 */
export function tempestPreconditions(d: Deployment): DemoSpec {
  const spec = demoSpec(d);
  if ('message' in spec)
    throw new UsageError(
      `verify --tempest uses what demo provisioning makes, and ${spec.message} (${spec.key})`,
    );
  if (!d.provisionDemo)
    throw new UsageError(
      'verify --tempest uses the guest image, flavors and external network of demo provisioning: set CONFIG_PROVISION_DEMO=y and run cairn deploy',
    );
  return spec;
}

/** Runs Tempest against the deployed cloud `d`. Throws HostError when it could not run at all. */
export async function runTempest(d: Deployment, opts: TempestOptions = {}): Promise<TempestRun> {
  const selection = selectionArgs(opts);
  const concurrency = opts.concurrency ?? 2;
  const spec = tempestPreconditions(d);
  const ctrl = controllerOf(d);
  const secrets = secretsOf(d);
  const phase = (what: string): void => opts.onPhase?.(what);
  const connect = (): Promise<Transport> =>
    connectSsh(ctrl, opts.trustNewHosts ? { trustNewHosts: true } : {});
  const t = await connect();
  try {
    // What the cloud calls the guest image, the flavors and the external network.
    phase('looking up the guest image, flavors and external network');
    // Containers mode: the host has no client; the keystone container has (as for verify).
    const runner = apiRunner(d, d.mode === 'containers' ? containerName(keystoneContainer.name) : undefined);
    const resolveScript = readFileSync(
      join(packageRoot(), 'templates', 'tempest', 'resolve.py'),
      'utf8',
    );
    const payload = Buffer.from(
      JSON.stringify({
        image: spec.image.guest,
        flavor: spec.flavors[0]!.name,
        flavorAlt: spec.flavors[1]!.name,
        external: spec.external.network,
      }),
    ).toString('base64');
    const resolved = await t.run({
      argv: runner.argv,
      stdin: `${runner.preamble}\npython3 - <<'CAIRN_PY'\nCAIRN_SPEC = "${payload}"\n${resolveScript}CAIRN_PY\n`,
      secrets,
      timeoutMs: 120_000,
    });
    const [ids] = jsonLines<CloudIds & { ok: boolean; detail?: string }>(
      resolved.stdout,
      (v) => typeof v.ok === 'boolean',
    );
    if (!ids)
      throw new HostError(
        `${ctrl.name}: could not read the cloud (is it deployed? cairn deploy first): ${tailLine(resolved.stderr || resolved.stdout, 3)}`,
      );
    if (!ids.ok)
      throw new HostError(
        `${ctrl.name}: ${ids.detail ?? 'demo provisioning is incomplete'}: run cairn deploy with CONFIG_PROVISION_DEMO=y`,
      );

    phase('installing tempest from the distribution (once)');
    // Tempest's scenario tests ping guests with the host's ping, which Debian's tempest package
    // does not pull in (minimal hosts, such as lab nodes, lack it).
    const packages = 'tempest python3-subunit iputils-ping';
    const install = await t.run({
      argv: [
        'sh',
        '-c',
        `dpkg -s ${packages} >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${packages}; [ -d ${WORKSPACE}/etc ] || tempest init ${WORKSPACE}`,
      ],
      timeoutMs: 900_000,
    });
    if (install.code !== 0)
      throw new HostError(
        `${ctrl.name}: installing tempest failed (exit ${install.code}): ${tailLine(install.stderr || install.stdout, 4)}`,
      );
    await t.put(`${WORKSPACE}/etc/tempest.conf`, tempestConf(d, spec, ids, WORKSPACE), {
      mode: '0600',
      owner: 'root',
      group: 'root',
    });

    // The selection's size first: a regex that matches nothing is the user's mistake, said now.
    phase('listing the selected tests');
    const list = await t.run({
      argv: [
        'sh',
        '-c',
        `cd ${WORKSPACE} && tempest run --list-tests ${selection.map(shellQuote).join(' ')}`,
      ],
      timeoutMs: 300_000,
    });
    if (list.code !== 0)
      throw new HostError(
        `${ctrl.name}: tempest run --list-tests failed (exit ${list.code}): ${tailLine(list.stderr || list.stdout, 4)}`,
      );
    const total = countListed(list.stdout);
    if (total === 0)
      throw new UsageError(
        `verify --tempest: ${selection.join(' ')} selects no test (tempest run --list-tests printed none)`,
      );

    phase(`running ${total} tests, ${concurrency} at a time`);
    const started = Date.now();
    const runLog = `${WORKSPACE}/cairn-run.log`;
    const running = t.run({
      argv: [
        'sh',
        '-c',
        `cd ${WORKSPACE} && rm -f ${runLog} && tempest run --concurrency ${concurrency} ${selection.map(shellQuote).join(' ')} > ${runLog} 2>&1; echo "tempest run exited $?" >> ${runLog}`,
      ],
      timeoutMs: 4 * 3600_000,
    });
    let finished = false;
    const poller = (async (): Promise<void> => {
      const pt = await connect();
      try {
        while (!finished) {
          await new Promise((r) => setTimeout(r, opts.pollMs ?? 15_000));
          if (finished) break;
          const r = await pt.run({
            argv: [
              'sh',
              '-c',
              `grep -cE '\\.\\.\\. (ok|SKIPPED)' ${runLog}; grep -c '\\.\\.\\. FAILED' ${runLog}`,
            ],
          });
          const [ok, failed] = r.stdout
            .trim()
            .split('\n')
            .map((x) => Number.parseInt(x, 10) || 0);
          opts.onProgress?.({
            done: (ok ?? 0) + (failed ?? 0),
            total,
            failed: failed ?? 0,
            ms: Date.now() - started,
          });
        }
      } finally {
        await pt.close();
      }
    })().catch(() => undefined);
    await running.finally(() => {
      finished = true;
    });
    await poller;
    const ms = Date.now() - started;

    phase('reading the results');
    const output = (await t.get(runLog))?.toString('utf8') ?? '';
    const last = await t.run({
      argv: ['sh', '-c', `cd ${WORKSPACE} && stestr last --subunit > cairn-last.subunit`],
      timeoutMs: 300_000,
    });
    if (last.code !== 0)
      throw new HostError(
        `${ctrl.name}: tempest ran but its results could not be read (stestr last, exit ${last.code}): ${tailLine(last.stderr, 3)}; its output: ${tailLine(output, 6)}`,
      );
    const resultsScript = readFileSync(
      join(packageRoot(), 'templates', 'tempest', 'results.py'),
      'utf8',
    );
    const parsed = await t.run({
      argv: ['python3', '-', `${WORKSPACE}/cairn-last.subunit`],
      stdin: resultsScript,
      timeoutMs: 300_000,
    });
    const tests = parseTempestLines(parsed.stdout);
    if (parsed.code !== 0 || tests.length === 0)
      throw new HostError(
        `${ctrl.name}: the results of tempest run could not be read (exit ${parsed.code}): ${tailLine(parsed.stderr, 4)}; its output: ${tailLine(output, 6)}`,
      );
    const subunit = (await t.get(`${WORKSPACE}/cairn-last.subunit`)) ?? Buffer.alloc(0);
    return { report: summarize(tests, ms), tests, subunit, output, selection };
  } finally {
    await t.close();
  }
}

/** How many test ids `tempest run --list-tests` printed (it also prints warnings and notes). */
export function countListed(stdout: string): number {
  return stdout.split('\n').filter((l) => /^[A-Za-z_]\w*(\.\w+){2,}(\[[^\]]*\])?$/.test(l.trim()))
    .length;
}
