/**
 * The remote transaction that puts an interface into an OVS bridge and, when the interface
 * holds addresses (the management address, on a single-NIC host), moves them and their routes
 * to the bridge. It runs detached on the host, so a dropped SSH session cannot stop it halfway,
 * and it undoes everything unless cairn confirms within the deadline that it still reaches the
 * host over a NEW connection. Packstack users lose hosts exactly here.
 */
import { shQuote } from '../transport/quote.js';

/** Files the transaction uses on the host (under /run: gone after a reboot, like the change). */
export function bridgePaths(bridge: string, iface: string): { dir: string; confirm: string; result: string; log: string; script: string } {
  const dir = '/run/cairn';
  const base = `${dir}/bridge-${bridge}-${iface}`;
  return { dir, confirm: `${base}.confirm`, result: `${base}.result`, log: `${base}.log`, script: `${base}.sh` };
}

/** The transaction script; it prints nothing and writes `confirmed` or `reverted: why` to the result file. */
export function bridgeScript(bridge: string, iface: string, datapathType: string, confirmSeconds: number): string {
  const p = bridgePaths(bridge, iface);
  const q = shQuote;
  return `#!/bin/sh
# cairn: put ${iface} into ${bridge}, moving its addresses and routes; revert unless confirmed.
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
BR=${q(bridge)}; IF=${q(iface)}; DP=${q(datapathType)}; WAIT=${confirmSeconds}
CONFIRM=${q(p.confirm)}; RESULT=${q(p.result)}
rm -f "$CONFIRM" "$RESULT"
ADDRS=$(ip -o -4 addr show dev "$IF" | awk '{print $4}')
# Routes through the interface other than its own subnets (those follow the address).
ROUTES=$(ip -4 route show dev "$IF" | grep -v 'proto kernel')
revert() {
  echo "reverting: $1"
  for a in $ADDRS; do ip addr del "$a" dev "$BR" 2>/dev/null; ip addr add "$a" dev "$IF" 2>/dev/null; done
  ovs-vsctl --if-exists del-port "$BR" "$IF"
  ip link set "$IF" up
  printf '%s\\n' "$ROUTES" | while read -r r; do [ -n "$r" ] && ip route replace $r dev "$IF"; done
  echo "reverted: $1" > "$RESULT"
  exit 1
}
ovs-vsctl --may-exist add-br "$BR" -- set bridge "$BR" datapath_type="$DP" || revert "cannot create bridge $BR"
# The bridge answers with the interface's MAC, so switches and neighbours' ARP caches that know
# the address keep working (os-net-config and ifcfg OVSBridge do the same).
if [ -n "$ADDRS" ]; then
  MAC=$(cat "/sys/class/net/$IF/address")
  ovs-vsctl set bridge "$BR" other-config:hwaddr="$MAC" || revert "cannot give $BR the MAC of $IF"
fi
ovs-vsctl --may-exist add-port "$BR" "$IF" || revert "cannot add $IF to $BR"
ip link set "$BR" up || revert "cannot bring $BR up"
for a in $ADDRS; do
  ip addr del "$a" dev "$IF" && ip addr add "$a" dev "$BR" || revert "cannot move $a to $BR"
done
printf '%s\\n' "$ROUTES" | while read -r r; do [ -n "$r" ] && ip route replace $r dev "$BR"; done
[ -z "$ADDRS" ] && { echo confirmed > "$RESULT"; exit 0; }
echo "waiting $WAIT s for confirmation"
i=0
while [ $i -lt $WAIT ]; do
  [ -e "$CONFIRM" ] && { echo confirmed > "$RESULT"; exit 0; }
  sleep 1; i=$((i + 1))
done
revert "no confirmation within $WAIT s: cairn could not reach the host after the change"
`;
}

/** The argv that starts the transaction detached from the SSH session. */
export function startBridgeArgv(bridge: string, iface: string): string[] {
  const p = bridgePaths(bridge, iface);
  return ['sh', '-c', `setsid sh ${shQuote(p.script)} > ${shQuote(p.log)} 2>&1 < /dev/null &`];
}
