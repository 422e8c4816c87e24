/**
 * A lab's Docker objects, found by the `cairn.lab` label (never by name patterns): what
 * `lab down` removes and `lab status` reports.
 */
import type Docker from 'dockerode';
import { LABELS } from './lab-name.js';

/** Containers of lab `lab` (any state), or of every lab when `lab` is undefined. */
export function labContainers(docker: Docker, lab?: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [lab ? `${LABELS.lab}=${lab}` : LABELS.lab] } });
}

/** Networks of lab `lab`, or of every lab when `lab` is undefined. */
export function labNetworks(docker: Docker, lab?: string): Promise<Docker.NetworkInspectInfo[]> {
  return docker.listNetworks({ filters: { label: [lab ? `${LABELS.lab}=${lab}` : LABELS.lab] } });
}

/** Volumes of lab `lab`. */
export async function labVolumes(docker: Docker, lab: string): Promise<string[]> {
  const r = await docker.listVolumes({ filters: { label: [`${LABELS.lab}=${lab}`] } });
  return (r.Volumes ?? []).map((v) => v.Name);
}
