/**
 * `verifyCloud`: the health checks of a deployed cloud, from the plan that was applied (which
 * units run where) and, in containers mode, the rendered files (which containers run where).
 */
import type { Deployment } from '../config/model.js';
import { containerName } from '../containers/desired.js';
import { serviceHosts } from '../containers/operations.js';
import { containerServices, keystoneContainer } from '../containers/services.js';
import type { Plan } from '../plan/steps.js';
import type { RenderedFile } from '../render/render-files.js';
import { adminEnvScript } from '../services/credentials.js';
import { connectSsh } from '../transport/ssh-transport.js';
import type { CheckResult } from '../verify/checks.js';
import { verify, type ContainersVerify, type VerifyReport } from '../verify/run-verify.js';

/** How to verify. */
export interface VerifyCloudOptions {
  /** Retry failed checks for this long (ms); 0 checks once. */
  waitMs: number;
  forks: number;
  trustNewHosts?: boolean;
  /** Containers mode: the rendered files (which containers run where). */
  files?: readonly RenderedFile[];
  onRound?: (results: CheckResult[], round: number) => void;
}

/** Runs the checks of `d`, whose applied (or planned) `plan` says which units run where. */
export async function verifyCloud(d: Deployment, plan: Plan, opts: VerifyCloudOptions): Promise<VerifyReport> {
  return verify(d, plan, {
    // Containers mode: the host side's units, plus the service containers and their APIs.
    ...(d.mode === 'containers' && opts.files ? { containers: containersVerify(d, opts.files) } : {}),
    connect: (host) => connectSsh(host, opts.trustNewHosts ? { trustNewHosts: true } : {}),
    forks: opts.forks,
    waitMs: opts.waitMs,
    ...(opts.onRound ? { onRound: opts.onRound } : {}),
  });
}

/**
 * What `cairn verify` checks in containers mode: every enabled service container on its hosts,
 * and the APIs of those services, from inside the keystone container (the host has no client).
 */
export function containersVerify(d: Deployment, rendered: readonly RenderedFile[]): ContainersVerify {
  const on = new Map<string, string[]>();
  const enabled = containerServices.filter((s) => s.descriptor.enabled(d));
  for (const s of enabled) {
    for (const h of serviceHosts(d, s, rendered)) on.set(h.name, [...(on.get(h.name) ?? []), containerName(s.name)]);
  }
  // Which APIs verify expects is verify's apiServices (the same rule for both modes).
  return {
    on,
    apiContainer: containerName(keystoneContainer.name),
    adminEnv: adminEnvScript(d),
  };
}
