/**
 * What `lab up` sets inside each running node, as one idempotent sh script (pure text, run with
 * `docker exec`): the lab's SSH key, the names of all nodes, the time source, and a check that
 * the networks sit on the interfaces the inventory promises. It changes only what differs and
 * prints `changed: …` naming what it touched, so a second `lab up` can say "unchanged".
 */
import type { LabNode, LabPlan } from './address-plan.js';
import { shQuote } from '../transport/quote.js';

/** Marker lines of the block cairn owns in each node's /etc/hosts. */
export function hostsBlockMarkers(lab: string): { begin: string; end: string } {
  return { begin: `# BEGIN cairn lab ${lab}`, end: `# END cairn lab ${lab}` };
}

/** /etc/hosts lines naming the gateway and every node by its management address. */
export function hostsBlock(plan: LabPlan): string {
  const { begin, end } = hostsBlockMarkers(plan.name);
  return [
    begin,
    `${plan.management.gateway}\t${plan.gatewayName}`,
    ...plan.nodes.map((n) => `${n.managementAddress}\t${n.name}`),
    end,
  ].join('\n');
}

/** Where the lab's time source is listed (chrony.conf's `sourcedir /etc/chrony/sources.d`). */
export const CHRONY_SOURCES_FILE = '/etc/chrony/sources.d/cairn-lab.sources';

/** The exit status nodeSetupScript uses when the node's interfaces are not as planned. */
export const SETUP_INTERFACE_ERROR = 3;

/** The setup script for `node` (run as root inside it). */
export function nodeSetupScript(plan: LabPlan, node: LabNode, publicKey: string): string {
  const mgmt = `${node.managementAddress}/${plan.management.prefixLength}`;
  const ext = `${node.externalAddress}/${plan.external.prefixLength}`;
  const marker = hostsBlockMarkers(plan.name);
  return `set -eu
changed=''

# The lab key may log in as root; keys already there (cairn ssh-copy-id, yours) stay.
key=${shQuote(publicKey.trim())}
install -d -m 0700 /root/.ssh
touch /root/.ssh/authorized_keys
chmod 0600 /root/.ssh/authorized_keys
if ! grep -qxF "$key" /root/.ssh/authorized_keys; then
  printf '%s\\n' "$key" >> /root/.ssh/authorized_keys
  changed="$changed authorized_keys"
fi

# Every node and the gateway by name, in a block cairn owns. Docker also maps this node's name
# to its external address when it attaches that network: drop that line, so the node's own name
# means its management address only, as on every other node. Docker bind-mounts /etc/hosts, so
# it is rewritten in place (no rename) and only when it differs.
block=${shQuote(hostsBlock(plan))}
current=$(cat /etc/hosts)
others=$(printf '%s\\n' "$current" | sed -e ${shQuote(`/^${marker.begin}$/,/^${marker.end}$/d`)} -e ${shQuote(`/^${node.externalAddress.replace(/\./g, '\\.')}[[:space:]]/d`)})
desired=$(printf '%s\\n%s' "$others" "$block")
if [ "$current" != "$desired" ]; then
  printf '%s\\n' "$desired" > /etc/hosts
  changed="$changed /etc/hosts"
fi

# Time from the lab gateway only.
sources=${shQuote(`server ${plan.management.gateway} iburst`)}
if [ "$(cat ${CHRONY_SOURCES_FILE} 2>/dev/null || true)" != "$sources" ]; then
  printf '%s\\n' "$sources" > ${CHRONY_SOURCES_FILE}
  systemctl restart chrony
  changed="$changed chrony"
elif ! systemctl is-active --quiet chrony; then
  systemctl start chrony
  changed="$changed chrony"
fi

# Management must be eth0 (the inventory says so); the external address is on eth1, or on
# br-ex once a deployment has moved it there.
if ! ip -o -4 addr show dev eth0 | grep -qF ' ${mgmt} '; then
  echo "eth0 does not carry the management address ${mgmt}: $(ip -o -4 addr show | tr -s ' ' | cut -d' ' -f2,4 | tr '\\n' ' ')" >&2
  exit ${SETUP_INTERFACE_ERROR}
fi
if ! ip link show dev eth1 >/dev/null 2>&1 || ! ip -o -4 addr show | grep -qF ' ${ext} '; then
  echo "the external address ${ext} is not on this node (expected on eth1)" >&2
  exit ${SETUP_INTERFACE_ERROR}
fi
if [ -z "$(ip route show default)" ]; then
  ip route add default via ${plan.management.gateway} dev eth0
  changed="$changed default-route"
fi

echo "changed:$changed"
`;
}

/** Parses the script's last line: the things it changed (empty when none). */
export function parseSetupOutput(stdout: string): string[] {
  const line = stdout.split('\n').reverse().find((l) => l.startsWith('changed:'));
  return (line ?? 'changed:').slice('changed:'.length).trim().split(/\s+/).filter(Boolean);
}

/** The node's SSH host public keys, one per line (for known_hosts). */
export const HOST_KEYS_ARGV = [
  'sh',
  '-c',
  'cat /etc/ssh/ssh_host_ed25519_key.pub /etc/ssh/ssh_host_ecdsa_key.pub /etc/ssh/ssh_host_rsa_key.pub',
] as const;

/** `systemctl is-system-running`: `running` or `degraded` once boot has finished. */
export const SYSTEM_STATE_ARGV = ['systemctl', 'is-system-running'] as const;

/** The failed units of a degraded node, for the warning `lab up` prints. */
export const FAILED_UNITS_ARGV = ['systemctl', '--failed', '--no-legend', '--plain'] as const;
