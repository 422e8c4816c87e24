/**
 * Transmit checksum offload off on the lab's external Docker bridge, the deploy host's side.
 *
 * Why: the lab nodes' external NIC (a veth) is a port of an Open vSwitch bridge on the
 * userspace (netdev) datapath, which reads frames with a plain packet socket. A TCP segment the
 * deploy host sends through a bridge with checksum offload still carries only the pseudo-header
 * sum when it reaches that socket (the kernel would fill it in on a real NIC, which a veth never
 * is), so OVS forwards a segment with a wrong checksum and the router's namespace drops it. ICMP
 * (checksummed in software) passes, TCP does not: measured on the lab, `ping` to a floating IP
 * answered and `ssh` to it timed out until `ethtool -K <bridge> tx off`. With transmit checksum
 * off the kernel checksums (and segments) in software before the frame enters the bridge.
 *
 * Only the external network: management traffic never enters OVS. Done on every `lab up` (the
 * setting does not survive the bridge being recreated, e.g. after a host reboot).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { HostError } from '../errors.js';

const run = promisify(execFile);

/** The Linux bridge device of a Docker bridge network (Docker's naming when no name is set). */
export function bridgeDevice(info: Pick<Docker.NetworkInspectInfo, 'Id' | 'Options'>): string {
  return info.Options?.['com.docker.network.bridge.name'] ?? `br-${info.Id.slice(0, 12)}`;
}

/** Whether `ethtool -k` output says transmit checksumming is on. */
export function txChecksumOn(ethtoolK: string): boolean {
  return /^tx-checksumming:\s+on\b/m.test(ethtoolK);
}

/**
 * Turns transmit checksum offload off on `device` unless it already is; true when it changed.
 * ethtool is installed by scripts/lab-host-setup.sh.
 */
export async function txChecksumOff(device: string): Promise<boolean> {
  let shown: string;
  try {
    shown = (await run('ethtool', ['-k', device])).stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new HostError('ethtool is not installed on this machine; run scripts/lab-host-setup.sh (it installs it)');
    throw new HostError(`ethtool -k ${device} failed: ${(err.stderr ?? err.message).trim()}`);
  }
  if (!txChecksumOn(shown)) return false;
  try {
    await run('ethtool', ['-K', device, 'tx', 'off']);
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new HostError(`ethtool -K ${device} tx off failed (the lab's guests would not answer TCP from this host): ${(err.stderr ?? err.message).trim()}`);
  }
  return true;
}
