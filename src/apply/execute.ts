/**
 * Carries out a step's actions over a transport: the only place in apply/ that changes a host.
 * Every command is logged (redacted) to the host's log before it runs and with its outcome.
 */
import type { Transport } from '../transport/transport.js';
import { redact, shJoin } from '../transport/quote.js';
import { bridgePaths, bridgeScript, startBridgeArgv } from './bridge-script.js';
import type { Action } from './decide.js';
import { stepError } from './host-error.js';
import { HostError } from '../errors.js';

/** What execution needs besides the transport. */
export interface ExecuteContext {
  transport: Transport;
  host: string;
  step: string;
  /** Opens a NEW connection to the host (to prove it is still reachable after a network change). */
  reconnect: () => Promise<Transport>;
  log: (line: string) => void;
  secrets: readonly string[];
  sleep?: (ms: number) => Promise<void>;
  /**
   * Why waiting is pointless now (another host of the run failed), or undefined. A compute
   * waiting for the control host's APIs stops as soon as the control host has failed.
   */
  abandoned?: () => string | undefined;
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs the actions in order; returns report lines (e.g. chrony's offset), throws a step's HostError on failure. */
export async function execute(actions: readonly Action[], ctx: ExecuteContext): Promise<string[]> {
  const report: string[] = [];
  for (const a of actions) {
    switch (a.type) {
      case 'put':
        ctx.log(`put ${a.path} (mode ${a.mode}, ${a.owner}:${a.group}, ${Buffer.byteLength(a.content)} bytes)`);
        await ctx.transport.put(a.path, a.content, { mode: a.mode, owner: a.owner, group: a.group });
        break;
      case 'run':
        await runChecked(ctx, a.argv, a.stdin, a.secrets, a.timeoutMs);
        break;
      case 'wait':
        report.push(...(await waitFor(ctx, a.argv, a.intervalMs, a.deadlineMs)));
        break;
      case 'bridge':
        report.push(await moveToBridge(ctx, a.bridge, a.iface, a.datapathType, a.confirmSeconds, a.addresses));
        break;
    }
  }
  return report;
}

async function runChecked(ctx: ExecuteContext, argv: string[], stdin?: string, secrets?: string[], timeoutMs?: number): Promise<string> {
  const all = [...ctx.secrets, ...(secrets ?? [])];
  ctx.log(`run ${redact(shJoin(argv), all)}`);
  const started = Date.now();
  const r = await ctx.transport.run({ argv, ...(stdin !== undefined ? { stdin } : {}), secrets: all, ...(timeoutMs ? { timeoutMs } : {}) });
  const out = redact(r.stdout + r.stderr, all);
  ctx.log(`  exit ${r.code} after ${Date.now() - started} ms${out.trim() ? `\n${indent(out)}` : ''}`);
  if (r.code !== 0) throw stepError(ctx.host, ctx.step, 'command failed', argv.map((a) => redact(a, all)), r.code, out);
  return r.stdout;
}

async function waitFor(ctx: ExecuteContext, argv: string[], intervalMs: number, deadlineMs: number): Promise<string[]> {
  const sleep = ctx.sleep ?? realSleep;
  const until = Date.now() + deadlineMs;
  let last = { code: -1, out: '' };
  for (;;) {
    const r = await ctx.transport.run({ argv, timeoutMs: Math.max(intervalMs * 5, 10_000) });
    last = { code: r.code, out: r.stdout + r.stderr };
    if (r.code === 0) {
      ctx.log(`check passed: ${shJoin(argv)}\n${indent(r.stdout)}`);
      return r.stdout.trim().split('\n').filter(Boolean);
    }
    if (Date.now() + intervalMs > until) break;
    const why = ctx.abandoned?.();
    if (why) throw stepError(ctx.host, ctx.step, `stopped waiting: ${why}`, argv, last.code, last.out);
    await sleep(intervalMs);
  }
  throw stepError(ctx.host, ctx.step, `not reached within ${Math.round(deadlineMs / 1000)} s`, argv, last.code, last.out);
}

/**
 * Starts the bridge transaction detached, then proves the host is still reachable over a new
 * connection and confirms; without the confirmation the host reverts by itself.
 */
async function moveToBridge(ctx: ExecuteContext, bridge: string, iface: string, datapathType: string, confirmSeconds: number, addresses: string[]): Promise<string> {
  const sleep = ctx.sleep ?? realSleep;
  const p = bridgePaths(bridge, iface);
  await ctx.transport.put(p.script, bridgeScript(bridge, iface, datapathType, confirmSeconds), { mode: '0700', owner: 'root', group: 'root' });
  await runChecked(ctx, startBridgeArgv(bridge, iface));
  ctx.log(`bridge transaction started: ${iface} -> ${bridge}${addresses.length ? ` moving ${addresses.join(', ')}` : ''}; confirming over a new connection`);
  const deadline = Date.now() + confirmSeconds * 1000;
  let lastError = '';
  while (Date.now() < deadline) {
    await sleep(1000);
    let fresh: Transport | undefined;
    try {
      fresh = await ctx.reconnect();
      await fresh.run({ argv: ['touch', p.confirm] });
      for (let i = 0; i < 10; i++) {
        const result = (await fresh.get(p.result))?.toString().trim();
        if (result === 'confirmed') {
          ctx.log('bridge transaction confirmed');
          return `${iface} is a port of ${bridge}${addresses.length ? `; ${addresses.join(', ')} moved to ${bridge}` : ''}`;
        }
        if (result?.startsWith('reverted')) throw stepError(ctx.host, ctx.step, `the host undid the change: ${result}`);
        await sleep(500);
      }
    } catch (e) {
      if (e instanceof HostError && e.step !== undefined) throw e; // the host reverted: final
      lastError = (e as Error).message;
      ctx.log(`not reachable yet over a new connection: ${lastError}`);
    } finally {
      await fresh?.close().catch(() => undefined);
    }
  }
  throw stepError(ctx.host, ctx.step, `could not reach the host over a new connection within ${confirmSeconds} s after moving ${iface} into ${bridge} (${lastError}); the host reverts the change by itself`);
}

function indent(text: string): string {
  return text.trimEnd().split('\n').map((l) => `    ${l}`).join('\n');
}
