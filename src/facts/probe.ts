/**
 * The facts probe: one shell script that reads everything a host's plan depends on (file
 * hashes, packages, units, sysctl values, guards, bridges) plus what the prechecks look at, in
 * ONE remote command, so that a run that has nothing to do costs about one round trip per
 * host. Building the script and parsing its output are pure; gather.ts runs it.
 */
import type { HostPlan } from '../plan/steps.js';
import { shJoin, shQuote } from '../transport/quote.js';

/** Where stamped commands record their digests on a host. */
export const STAMP_DIR = '/var/lib/cairn/stamps';

/** The file name under STAMP_DIR for a step id (ids hold ':' and '/'). */
export function stampFile(stepId: string): string {
  return stepId.replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * Where a changed file leaves a mark for each unit it restarts, removed when the unit has
 * restarted: a run cut off between the two (a later step failed) still restarts the unit on the
 * next run, though the file is unchanged by then.
 */
export const PENDING_RESTART_DIR = '/var/lib/cairn/pending-restart';

/** What the probe found on a host. */
export interface HostFacts {
  os: { id: string; versionId: string };
  hostname: string;
  /** The host's clock when the probe ran, in ms since the epoch. */
  clockMs: number;
  kvm: boolean;
  /**
   * The kernel has device-mapper (LVM's logical volumes need it): loaded, or a module modprobe
   * can load.
   */
  deviceMapper: boolean;
  /** /dev/loop-control exists: loop devices can be made. */
  loopDevices: boolean;
  cpuFlags: string[];
  /** The process may set the clock (CAP_SYS_TIME in its bounding set). */
  canSetClock: boolean;
  memMiB: number;
  diskFreeMiB: number;
  interfaces: string[];
  /** IPv4 addresses (CIDR) per interface. */
  addresses: Record<string, string[]>;
  defaultRoute: string;
  resolvSearch: string;
  activeServices: Record<string, string>;
  /** Resolved address of other hosts' names ('' when it does not resolve). */
  resolves: Record<string, string>;
  /** sha256 of managed paths; undefined when absent. */
  files: Map<string, string | undefined>;
  /** Packages that are installed. */
  installed: Set<string>;
  /** `enabled`/`active` state of units. */
  units: Map<string, { enabled: string; active: string }>;
  sysctl: Map<string, string>;
  /** Exit codes of `unless` guards, by step id. */
  guards: Map<string, number>;
  /** Digests recorded by stamped commands after their last success, by step id. */
  stamps: Map<string, string>;
  /** Units an earlier run changed a file of without restarting them (names as stampFile()). */
  pendingRestarts: Set<string>;
  /** Paths named by `creates` that exist. */
  existing: Set<string>;
  /** Bridge an interface is a port of ('' for none), by interface. */
  portOf: Map<string, string>;
  /** sudo works without a password (always true for root). */
  sudoOk: boolean;
}

/** Other hosts' names the probe should try to resolve. */
export interface ProbeExtras {
  resolveNames: string[];
}

/** The probe script for `plan` (runs as root, under sh). */
export function probeScript(plan: HostPlan, extras: ProbeExtras): string {
  const q = shQuote;
  const lines: string[] = [
    'set +e',
    'export LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin',
    // One fact per line: TAG<TAB>KEY<TAB>VALUE. Every value below is one line by construction,
    // so emit is a shell builtin, not a process: the probe runs on every host of every run, and
    // on a busy host each process costs milliseconds (20 hosts probed at once: seconds).
    "emit() { printf '%s\\t%s\\t%s\\n' \"$1\" \"$2\" \"$3\"; }",
    '. /etc/os-release 2>/dev/null',
    'emit os id "${ID:-}"; emit os version "${VERSION_ID:-}"',
    // /proc and /etc files are read with the shell's own `read`, not one process each.
    'read -r hn < /proc/sys/kernel/hostname; emit host hostname "$hn"',
    'emit host clock_ms "$(date +%s%3N)"',
    'if [ -c /dev/kvm ]; then emit host kvm yes; else emit host kvm no; fi',
    // device-mapper: loaded (/sys/module or /proc/misc, read by the shell), else modprobe is
    // asked (a process, only on hosts where it is not loaded yet).
    'dm=no; if [ -d /sys/module/dm_mod ]; then dm=yes; elif [ -r /proc/misc ]; then while read -r n name; do [ "$name" = device-mapper ] && dm=yes; done < /proc/misc; fi',
    '[ $dm = yes ] || { modprobe -n -q dm_mod 2>/dev/null && dm=yes; }; emit host device_mapper $dm',
    'if [ -c /dev/loop-control ]; then emit host loop yes; else emit host loop no; fi',
    'while IFS= read -r l; do case $l in flags*) emit host cpu_flags "${l#*:}"; break ;; esac; done < /proc/cpuinfo',
    'while read -r k v x; do case $k in CapBnd:) emit host cap_bnd "$v" ;; esac; done < /proc/self/status',
    'while read -r k v x; do case $k in MemTotal:) emit host mem_kib "$v" ;; esac; done < /proc/meminfo',
    "emit host disk_free_kib \"$(df -Pk / | awk 'NR==2 {print $4}')\"",
    // Every interface (addresses follow, one `addr` line each, from one `ip` for all of them).
    'for p in /sys/class/net/*; do emit iface "${p##*/}" ""; done',
    'ip -o -4 addr show 2>/dev/null | while read -r x dev fam cidr rest; do emit addr "${dev%%@*}" "$cidr"; done',
    'ip -o -4 route show default 2>/dev/null | { read -r l; emit host default_route "$l"; }',
    'rs=; if [ -r /etc/resolv.conf ]; then while read -r k rest; do case $k in search|domain) rs="$rs$k $rest " ;; esac; done < /etc/resolv.conf; fi; emit host resolv_search "$rs"',
    'systemctl is-active NetworkManager firewalld 2>/dev/null | { read -r a; read -r b; emit service NetworkManager "$a"; emit service firewalld "$b"; }',
    'if [ "$(id -u)" = 0 ]; then emit host sudo_ok yes; else emit host sudo_ok no; fi',
  ];
  if (extras.resolveNames.length > 0) {
    // One getent for every name. Its lines skip names that do not resolve, so each name is
    // matched to the line that lists it (as canonical name or alias), or else to one whose
    // name is it plus a domain (a resolver's search domain); no match means it does not resolve.
    const names = extras.resolveNames.map(q).join(' ');
    lines.push(
      `getent hosts ${names} | awk -v names=${q(extras.resolveNames.join(' '))} ` +
        `'{ for (f = 2; f <= NF; f++) { if (!($f in exact)) exact[$f] = $1; d = index($f, "."); if (d > 1) { s = substr($f, 1, d - 1); if (!(s in short)) short[s] = $1 } } } ` +
        `END { n = split(names, u, " "); for (k = 1; k <= n; k++) { a = (u[k] in exact) ? exact[u[k]] : ((u[k] in short) ? short[u[k]] : ""); printf "resolve\\t%s\\t%s\\n", u[k], a } }'`,
    );
  }
  const files: string[] = [];
  const packages: string[] = [];
  const units: string[] = [];
  for (const s of plan.steps) {
    if (s.kind === 'file') files.push(s.path);
    if (s.kind === 'packages') packages.push(...s.names);
    if (s.kind === 'unit') units.push(s.unit);
    if (s.kind === 'sysctl') lines.push(`emit sysctl ${q(s.key)} "$(sysctl -n ${q(s.key)} 2>/dev/null)"`);
    if (s.kind === 'command' && s.creates) lines.push(`if [ -e ${q(s.creates)} ]; then emit exists ${q(s.creates)} yes; fi`);
    if (s.kind === 'command' && s.unless) lines.push(`(${shJoin(s.unless)}) >/dev/null 2>&1; emit guard ${q(s.id)} "$?"`);
    if (s.kind === 'bridge-port') lines.push(`emit port ${q(s.iface)} "$(ovs-vsctl port-to-br ${q(s.iface)} 2>/dev/null)"`);
  }
  if (plan.steps.some((s) => s.kind === 'command' && s.stamp !== undefined)) {
    // One file per stamped step, named by the step id's stampFile(); read all in one loop.
    lines.push(`for f in ${STAMP_DIR}/*; do [ -f "$f" ] || continue; v=; read -r v < "$f"; emit stamp "\${f##*/}" "$v"; done`);
  }
  if (units.length > 0) lines.push(`for f in ${PENDING_RESTART_DIR}/*; do [ -f "$f" ] && emit pending "\${f##*/}" yes; done`);
  if (files.length > 0) {
    // Absent files by a builtin test, then ONE sha256sum over the present ones, whose lines come
    // in argument order (a name with a backslash gets a leading backslash on its line).
    lines.push(
      'set --',
      `for f in ${files.map(q).join(' ')}; do if [ -f "$f" ]; then set -- "$@" "$f"; else emit file "$f" -; fi; done`,
      `[ $# -eq 0 ] || sha256sum -- "$@" | { for f in "$@"; do read -r h rest || h=; emit file "$f" "\${h#\\\\}"; done; }`,
    );
  }
  if (packages.length > 0) {
    if (plan.osFamily === 'debian') {
      lines.push(`dpkg-query -W -f='\${Package}\\t\${db:Status-Abbrev}\\n' ${packages.map(q).join(' ')} 2>/dev/null | while IFS='\t' read -r p s; do emit pkg "$p" "$s"; done`);
    } else {
      lines.push(`rpm -q --qf '%{NAME}\\n' ${packages.map(q).join(' ')} 2>/dev/null | grep -v ' ' | while read -r p; do emit pkg "$p" 'ii '; done`);
    }
  }
  if (units.length > 0) {
    // One systemctl for every unit (two per unit cost ~30 ms each on a busy host). `show` prints
    // one block per unit, in argument order, with a blank line between blocks.
    lines.push(
      `systemctl show --no-pager -p UnitFileState -p ActiveState ${units.map(q).join(' ')} 2>/dev/null | awk -v names=${q(units.join(' '))} ` +
        `'BEGIN { n = split(names, u, " "); i = 1 } /^$/ { i++; next } /^UnitFileState=/ { e[i] = substr($0, 15) } /^ActiveState=/ { a[i] = substr($0, 13) } ` +
        `END { for (k = 1; k <= n; k++) printf "unit\\t%s\\t%s/%s\\n", u[k], e[k], a[k] }'`,
    );
  }
  lines.push('exit 0');
  return lines.join('\n') + '\n';
}

const CAP_SYS_TIME = 25;

/** Parses the probe's output. Unknown tags are ignored (a newer probe against an older parser). */
export function parseFacts(output: string): HostFacts {
  const facts: HostFacts = {
    os: { id: '', versionId: '' },
    hostname: '',
    clockMs: 0,
    kvm: false,
    deviceMapper: false,
    loopDevices: false,
    cpuFlags: [],
    canSetClock: true,
    memMiB: 0,
    diskFreeMiB: 0,
    interfaces: [],
    addresses: {},
    defaultRoute: '',
    resolvSearch: '',
    activeServices: {},
    resolves: {},
    files: new Map(),
    installed: new Set(),
    units: new Map(),
    sysctl: new Map(),
    guards: new Map(),
    stamps: new Map(),
    pendingRestarts: new Set(),
    existing: new Set(),
    portOf: new Map(),
    sudoOk: false,
  };
  for (const line of output.split('\n')) {
    const [tag, key = '', ...rest] = line.split('\t');
    const value = rest.join('\t').trim();
    switch (tag) {
      case 'os':
        if (key === 'id') facts.os.id = value;
        else facts.os.versionId = value;
        break;
      case 'host':
        if (key === 'hostname') facts.hostname = value;
        else if (key === 'clock_ms') facts.clockMs = Number(value);
        else if (key === 'kvm') facts.kvm = value === 'yes';
        else if (key === 'device_mapper') facts.deviceMapper = value === 'yes';
        else if (key === 'loop') facts.loopDevices = value === 'yes';
        else if (key === 'cpu_flags') facts.cpuFlags = value.split(/\s+/).filter(Boolean);
        else if (key === 'cap_bnd') facts.canSetClock = value === '' || (BigInt(`0x${value}`) & (1n << BigInt(CAP_SYS_TIME))) !== 0n;
        else if (key === 'mem_kib') facts.memMiB = Math.floor(Number(value) / 1024);
        else if (key === 'disk_free_kib') facts.diskFreeMiB = Math.floor(Number(value) / 1024);
        else if (key === 'default_route') facts.defaultRoute = value;
        else if (key === 'resolv_search') facts.resolvSearch = value;
        else if (key === 'sudo_ok') facts.sudoOk = value === 'yes';
        break;
      case 'iface':
        facts.interfaces.push(key);
        facts.addresses[key] = value.split(/\s+/).filter(Boolean);
        break;
      case 'addr':
        if (value) (facts.addresses[key] ??= []).push(value);
        break;
      case 'service':
        facts.activeServices[key] = value;
        break;
      case 'resolve':
        facts.resolves[key] = value;
        break;
      case 'file':
        facts.files.set(key, value === '-' ? undefined : value);
        break;
      case 'pkg':
        if (value.startsWith('ii')) facts.installed.add(key);
        break;
      case 'unit': {
        const [enabled = '', active = ''] = value.split('/');
        facts.units.set(key, { enabled, active });
        break;
      }
      case 'sysctl':
        facts.sysctl.set(key, value);
        break;
      case 'guard':
        facts.guards.set(key, Number(value));
        break;
      case 'pending':
        facts.pendingRestarts.add(key);
        break;
      case 'stamp':
        facts.stamps.set(key, value);
        break;
      case 'exists':
        facts.existing.add(key);
        break;
      case 'port':
        facts.portOf.set(key, value);
        break;
      // split() always yields at least one element, so tag is never undefined at run time (the
      // type says it may be, from noUncheckedIndexedAccess); a blank line, tag '', and a tag this
      // parser does not know carry no fact.
      case undefined:
      default:
        break;
    }
  }
  return facts;
}
