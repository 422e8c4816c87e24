/**
 * Decisions that depend on a host's hardware, made from its facts before anything is rendered:
 * Nova's virt_type per compute host (CONFIG_NOVA_LIBVIRT_VIRT_TYPE=auto). Pure: hardware in, a
 * Deployment whose hosts carry the decisions out, so rendering and planning see only data.
 */
import type { Deployment, Host } from '../config/model.js';
import { hasRole } from '../config/model.js';

/** What a host's hardware says, as far as the decisions need it. */
export interface Hardware {
  /** /dev/kvm exists. */
  kvm: boolean;
  /** The CPU's flags (only vmx and svm matter here). */
  cpuFlags: readonly string[];
}

/** A decision worth telling the user about, per host. */
export interface HostNote {
  host: string;
  message: string;
}

/** The shell snippet whose output `parseHardware` reads (one short round trip, with the clock). */
export const HARDWARE_SCRIPT = "[ -c /dev/kvm ] && echo kvm; grep -m1 -owE 'vmx|svm' /proc/cpuinfo; true";

/** Reads HARDWARE_SCRIPT's output. */
export function parseHardware(output: string): Hardware {
  const words = output.split(/\s+/).filter(Boolean);
  return { kvm: words.includes('kvm'), cpuFlags: words.filter((w) => w === 'vmx' || w === 'svm') };
}

/** Nova's virt_type for a compute host: kvm with hardware support, else qemu. */
export function decideVirtType(d: Deployment, f: Hardware): { virtType: 'kvm' | 'qemu'; note?: string } {
  if (d.nova.virtType !== 'auto') return { virtType: d.nova.virtType };
  const hw = f.kvm && (f.cpuFlags.includes('vmx') || f.cpuFlags.includes('svm'));
  return hw ? { virtType: 'kvm' } : { virtType: 'qemu', note: 'no /dev/kvm or no vmx/svm CPU flag: Nova falls back to qemu (software emulation, slow)' };
}

/**
 * `d` with each compute host's virt_type decided from `hardware` (hosts without hardware facts
 * keep theirs). With an explicit CONFIG_NOVA_LIBVIRT_VIRT_TYPE nothing changes.
 */
export function decideHosts(d: Deployment, hardware: ReadonlyMap<string, Hardware>): { deployment: Deployment; notes: HostNote[] } {
  if (d.nova.virtType !== 'auto') return { deployment: d, notes: [] };
  const notes: HostNote[] = [];
  const hosts = d.hosts.map((h): Host => {
    const f = hardware.get(h.name);
    if (!f || !hasRole(h, 'compute')) return h;
    const { virtType, note } = decideVirtType(d, f);
    if (note) notes.push({ host: h.name, message: `virt_type ${virtType}: ${note}` });
    return { ...h, virtType };
  });
  return { deployment: { ...d, hosts }, notes };
}
