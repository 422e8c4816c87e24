/**
 * Names of everything a lab owns: nodes, Docker networks and containers, labels, files.
 * One place, so `lab down` finds exactly what `lab up` made and nothing else.
 */
import { join } from 'node:path';

/** The lab `cairn lab up` makes when no --name is given. */
export const DEFAULT_LAB_NAME = 'lab';

/** Longest lab name: node names (`NAME-cmp12`) must stay short, readable host names. */
export const MAX_LAB_NAME_LENGTH = 20;

/**
 * Why `name` cannot name a lab, or undefined when it can. Lab names become host names, Docker
 * object names and file names, so they are limited to lower-case DNS labels.
 */
export function labNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'lab name is empty';
  if (name.length > MAX_LAB_NAME_LENGTH) {
    return `lab name '${name}' is longer than ${MAX_LAB_NAME_LENGTH} characters`;
  }
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) {
    return `lab name '${name}' must be lower-case letters, digits and single dashes, starting with a letter`;
  }
  return undefined;
}

/** Node roles in a lab: the controller also hosts Neutron's network services. */
export type LabRole = 'controller' | 'compute';

/** `lab-ctrl1`, `lab-cmp2`: short, and the role is readable in every prompt and log line. */
export function nodeName(lab: string, role: LabRole, index: number): string {
  return `${lab}-${role === 'controller' ? 'ctrl' : 'cmp'}${index}`;
}

/** The name nodes use for the host in its gateway role (NTP server, NAT router). */
export function gatewayHostName(lab: string): string {
  return `${lab}-gateway`;
}

/** Which of the two lab networks. */
export type NetworkKind = 'management' | 'external';

/** Docker network (or libvirt network) name of one of the lab's networks. */
export function networkName(lab: string, kind: NetworkKind): string {
  return `cairn-${lab}-${kind === 'management' ? 'mgmt' : 'ext'}`;
}

/** The Docker volume holding a node's /var/lib/docker (see docker-specs.ts). */
export function nodeDockerVolumeName(node: string): string {
  return `${node}-var-lib-docker`;
}

/** The Docker volume of the lab's package cache (kept by `lab down`, removed by --purge). */
export function aptCacheVolumeName(lab: string): string {
  return `cairn-${lab}-apt-cache`;
}

/** The container that serves time to the lab from the host's network namespace. */
export function gatewayContainerName(lab: string): string {
  return `cairn-${lab}-gateway`;
}

/**
 * Labels on every Docker object a lab owns. The engine is the record of what exists: `lab down`
 * and `lab status` find objects by these labels, never by name patterns.
 */
export const LABELS = {
  /** The lab's name. */
  lab: 'cairn.lab',
  /** `controller`, `compute` or `gateway`. */
  role: 'cairn.lab.role',
  /** `management` or `external` (networks). */
  network: 'cairn.lab.network',
  /** The address slot the lab's subnets come from (networks). */
  slot: 'cairn.lab.slot',
  /** sha256 of the container's creation spec, to notice a node made from an older spec. */
  spec: 'cairn.lab.spec',
  /**
   * The lab a package cache volume belongs to. Not `lab`: `lab down` removes the lab's volumes,
   * and the cache is kept until `lab down --purge`.
   */
  aptCache: 'cairn.lab.apt-cache',
} as const;

/** Files a lab keeps, all relative to the directory `cairn` runs in. */
export interface LabPaths {
  /** `.cairn/labs/NAME`: key pair, known_hosts, lab.json, lab.log. Gitignored. */
  stateDir: string;
  privateKey: string;
  publicKey: string;
  knownHosts: string;
  /** The lab's recorded shape and address slot, so later runs keep the same addresses. */
  stateFile: string;
  /** Everything `lab up`/`lab down` did, with command output: read it after a failure. */
  logFile: string;
  /** `inventory/NAME.yml` */
  inventory: string;
  /** `answer-files/NAME.ini` */
  answerFile: string;
}

/** Where lab `name`'s files live under `root` (normally the current directory). */
export function labPaths(root: string, name: string): LabPaths {
  const stateDir = join(root, '.cairn', 'labs', name);
  return {
    stateDir,
    privateKey: join(stateDir, 'id_ed25519'),
    publicKey: join(stateDir, 'id_ed25519.pub'),
    knownHosts: join(stateDir, 'known_hosts'),
    stateFile: join(stateDir, 'lab.json'),
    logFile: join(stateDir, 'lab.log'),
    inventory: join(root, 'inventory', `${name}.yml`),
    answerFile: join(root, 'answer-files', `${name}.ini`),
  };
}

/** The directory holding every lab's state directory. */
export function labsDir(root: string): string {
  return join(root, '.cairn', 'labs');
}
