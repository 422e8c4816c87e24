/**
 * What `verify --workload` keeps when a guest's network fails: the state of the tenant
 * network's datapath on the guest's compute host and on the network host, read while the
 * guests still exist (their ports and flows go with them). A guest without a DHCP lease has
 * many possible causes (the port not wired, a tunnel port missing, the userspace datapath's
 * neighbour or route table stale); these outputs tell them apart after the run, when the lab
 * or the CI machine is gone.
 *
 * Read-only commands only; each one's failure (a command missing in containers mode, a bridge
 * not there) is part of its output, never an error of the check.
 */
import { shellQuote } from '../services/common.js';
import type { Transport } from '../transport/transport.js';
import type { CheckResult } from './checks.js';

/** Workload steps whose failure points at the tenant network rather than at Nova. */
export const NETWORK_STEPS: ReadonlySet<string> = new Set(['dhcp', 'metadata', 'ping-external', 'ssh-external', 'ping-east-west', 'ping-router']);

/** The commands, in the order they are printed. */
export const DATAPATH_COMMANDS: readonly (readonly string[])[] = [
  ['ovs-vsctl', 'show'],
  ['ovs-ofctl', '-O', 'OpenFlow13', 'dump-flows', 'br-tun'],
  ['ovs-ofctl', '-O', 'OpenFlow13', 'dump-ports-desc', 'br-int'],
  ['ovs-appctl', 'tnl/ports/show'],
  ['ovs-appctl', 'tnl/neigh/show'],
  ['ovs-appctl', 'ovs/route/show'],
  ['ovs-vsctl', '--columns=name,ofport,link_state,admin_state,error', 'list', 'interface'],
  ['ip', '-o', 'link', 'show'],
  ['ip', '-4', '-o', 'addr', 'show'],
  ['tail', '-n', '80', '/var/log/openvswitch/ovs-vswitchd.log'],
  ['journalctl', '-u', 'neutron-openvswitch-agent', '-n', '60', '--no-pager', '-o', 'short-precise'],
  ['tail', '-n', '60', '/var/log/nova/nova-compute.log'],
];

/** Lines kept of one command's output. */
const MAX_LINES = 300;

/** The datapath state of one host. */
export interface HostDiagnostics {
  host: string;
  /** Every command's output under a `### command` header. */
  text: string;
}

/** The hosts to read: each compute whose guest failed a network step, and the network host. */
export function hostsToDiagnose(results: readonly CheckResult[], networkHost: string): string[] {
  const failed = results.filter((r) => !r.ok && NETWORK_STEPS.has(r.check)).map((r) => r.host);
  if (failed.length === 0) return [];
  return [...new Set([...failed, networkHost])];
}

/** One `sh` script that prints every command's output under its own header, whatever fails. */
export function diagnosticsScript(commands: readonly (readonly string[])[] = DATAPATH_COMMANDS): string {
  return commands
    .map((argv) => {
      const line = argv.map(shellQuote).join(' ');
      return `echo ${shellQuote(`### ${argv.join(' ')}`)}; ${line} 2>&1 | tail -n ${MAX_LINES}`;
    })
    .join('\n');
}

/** Reads the datapath state of a host over `t`; a failure to do so is the text. */
export async function readDiagnostics(host: string, t: Transport): Promise<HostDiagnostics> {
  try {
    const r = await t.run({ argv: ['sh', '-c', diagnosticsScript()], timeoutMs: 60_000 });
    return { host, text: r.stdout + (r.stderr ? `\n### stderr\n${r.stderr}` : '') };
  } catch (e) {
    return { host, text: `could not read the datapath state: ${(e as Error).message}` };
  }
}

/** The diagnostics as one text file, a section per host. */
export function formatDiagnostics(diags: readonly HostDiagnostics[]): string {
  return diags.map((d) => `======== ${d.host}\n${d.text.trimEnd()}\n`).join('\n');
}
