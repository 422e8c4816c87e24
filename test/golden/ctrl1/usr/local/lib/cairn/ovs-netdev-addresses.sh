# Managed by cairn: changes here are overwritten on the next deploy.
# Run by /bin/sh from the cairn-ovs-netdev unit.
#
# Puts each interface into its userspace-datapath (netdev) Open vSwitch bridge and moves the
# interface's address to the bridge, at boot and on every deploy. A netdev bridge's own port is
# a tap device ovs-vswitchd makes when it starts, so the address cannot be kept by ifupdown
# alone; and OVS sends VXLAN only out of a bridge holding the tunnel address. Idempotent.
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
status=0
# eth1 -> br-ex
ovs-vsctl --may-exist add-br br-ex -- set bridge br-ex datapath_type=netdev || status=1
ovs-vsctl set bridge br-ex other-config:hwaddr="$(cat /sys/class/net/eth1/address)" || status=1
ovs-vsctl --may-exist add-port br-ex eth1 || status=1
ip link set eth1 up
ip link set br-ex up || status=1
ip -4 addr del 198.18.20.11/24 dev eth1 2>/dev/null
ip -4 addr replace 198.18.20.11/24 dev br-ex || status=1
exit $status
