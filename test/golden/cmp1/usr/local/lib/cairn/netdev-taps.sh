# Managed by cairn: changes here are overwritten on the next deploy.
# Run by /bin/sh from the cairn-netdev-taps unit, on compute hosts of a userspace-datapath
# (netdev) deployment.
#
# Why: with the netdev datapath, os-vif adds a guest's port to Open vSwitch before libvirt
# creates its tap, so ovs-vswitchd opens the tap the moment it appears, and turns promiscuous
# mode on by writing back the interface flags it read then: down. When libvirt brings the tap up
# in between, that write takes it down again, and the guest's packets are dropped ("Network is
# down" in ovs-vswitchd.log) until the guest is deleted: no DHCP, no network. It happens on some
# boots only (seen on the first guest after a compute restarted). The kernel datapath does not
# do this write.
#
# What: on every link change of a tap, wait 2 s (libvirt has brought its own taps
# up by then) and bring up a tap that is still down and is an Open vSwitch port. Nothing else in
# Nova or Neutron takes a guest's tap down (a port turned off is a dead VLAN, not a down link).
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin

check() {
  sleep 2
  flags=$(cat "/sys/class/net/$1/flags" 2>/dev/null) || return 0
  [ $((flags & 1)) -eq 0 ] || return 0
  ovs-vsctl --timeout=10 port-to-br "$1" >/dev/null 2>&1 || return 0
  if ip link set dev "$1" up 2>/dev/null; then
    echo "$1: brought up (Open vSwitch had left it down)"
  fi
}

# Taps left down before this unit started (it starts after Open vSwitch, before nova-compute).
for dev in /sys/class/net/tap*; do
  [ -e "$dev" ] && check "${dev##*/}" &
done

# One line per link change: "8: tapXXXX: <BROADCAST,MULTICAST,UP,LOWER_UP> ...".
ip -o monitor link | while read -r index name flags rest; do
  [ "$index" = Deleted ] && continue
  name=${name%:}
  name=${name%@*}
  case "$name" in
    tap*)
      case ",${flags#<}" in
        *,UP,* | *,UP\>*) ;;
        *) check "$name" & ;;
      esac
      ;;
  esac
done
