#!/bin/sh
# Prepare this machine to run `cairn lab up` (a multi-node OpenStack lab on one machine).
#
# Usage (as root):
#   scripts/lab-host-setup.sh                      # Docker provider (the default)
#   scripts/lab-host-setup.sh --test-tools         # also virt-xml-validate, for cairn's own tests
#   scripts/lab-host-setup.sh --provider libvirt   # libvirt/KVM provider (real hardware)
#   scripts/lab-host-setup.sh --check              # report what is missing, change nothing
#
# Idempotent: packages already installed are left alone, and `apt-get update` runs only when
# something is missing. Packages come from the Debian archive this machine's apt sources name;
# nothing else is downloaded.
#
# Docker engine: on a host with systemd, `systemctl start docker`. Without systemd (containers,
# sandboxes) dockerd is started in the background, once: if the engine already answers nothing
# is started. Its pid is in /var/run/docker.pid (dockerd's own default) and its log in
# /var/log/cairn-dockerd.log.
#
# The lab's NTP server does not need chrony on the host: `cairn lab up` runs chronyd -x (never
# touching the clock) in a container on the host's network namespace, from the lab node image.
set -eu

provider=docker
test_tools=no
check_only=no

usage() {
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case "$1" in
        --provider)
            [ $# -ge 2 ] || { echo "lab-host-setup: --provider needs a value (docker or libvirt)" >&2; exit 2; }
            provider="$2"; shift 2 ;;
        --provider=*) provider="${1#--provider=}"; shift ;;
        --test-tools) test_tools=yes; shift ;;
        --check) check_only=yes; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "lab-host-setup: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done

case "$provider" in
    docker|libvirt) ;;
    *) echo "lab-host-setup: --provider must be docker or libvirt, not '$provider'" >&2; exit 2 ;;
esac

say() { printf 'lab-host-setup: %s\n' "$*"; }

# What each provider needs, as Debian package names.
#   docker.io    dockerd + docker CLI (bookworm ships 20.10)
#   debootstrap  builds the node image's root file system from the Debian archive
#   openssh-client  ssh / ssh-keygen for the lab key pair and `cairn lab ssh`
#   tar          streams the root file system into `docker import`
#   ethtool      turns checksum offload off on the lab's external bridge (src/lab/bridge-offload.ts)
packages="openssh-client tar"
if [ "$provider" = docker ]; then
    packages="$packages docker.io debootstrap ethtool"
else
    # libvirt-daemon-system: libvirtd; qemu-utils: qemu-img overlays; genisoimage: cloud-init seed
    packages="$packages libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils genisoimage"
fi
if [ "$test_tools" = yes ]; then
    # virt-xml-validate (libvirt-clients) checks rendered domain XML against libvirt's schemas;
    # it runs xmllint (libxml2-utils).
    packages="$packages libvirt-clients libxml2-utils"
fi

is_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]
}

missing=""
for p in $packages; do
    is_installed "$p" || missing="$missing $p"
done

if [ "$check_only" = yes ]; then
    if [ -n "$missing" ]; then say "missing packages:$missing"; exit 1; fi
    say "all packages present: $packages"
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "lab-host-setup: run as root (e.g. sudo $0)" >&2
    exit 2
fi

# Other apt clients may be running (unattended-upgrades, another shell): wait for the locks
# instead of failing.
apt_opts="-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3"

if [ -n "$missing" ]; then
    say "installing:$missing"
    apt-get $apt_opts update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get $apt_opts install -y -qq --no-install-recommends $missing
else
    say "packages already installed: $packages"
fi

if [ "$provider" = libvirt ]; then
    if [ -d /run/systemd/system ]; then
        systemctl start libvirtd
    fi
    if [ ! -e /dev/kvm ]; then
        say "warning: /dev/kvm is missing: VMs would run under software emulation (slow)"
    fi
    say "ready for: cairn lab up --provider libvirt"
    exit 0
fi

# --- Docker engine -------------------------------------------------------------------------
engine_answers() {
    docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

wait_for_engine() {
    i=0
    while [ $i -lt 60 ]; do
        if engine_answers; then return 0; fi
        sleep 1
        i=$((i + 1))
    done
    return 1
}

pidfile=/var/run/docker.pid
logfile=/var/log/cairn-dockerd.log

if engine_answers; then
    say "Docker engine already answers ($(docker version --format '{{.Server.Version}}'))"
elif [ -d /run/systemd/system ]; then
    say "starting Docker with systemd"
    systemctl start docker
    wait_for_engine || { echo "lab-host-setup: docker.service started but the engine does not answer; see: journalctl -u docker" >&2; exit 1; }
else
    if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        # Started earlier and still coming up (or stuck): never start a second one.
        say "dockerd (pid $(cat "$pidfile")) is running but not answering yet; waiting"
    else
        say "starting dockerd in the background (no systemd): log $logfile, pid $pidfile"
        # setsid: detach from this shell's session so dockerd outlives it.
        setsid dockerd --pidfile "$pidfile" >>"$logfile" 2>&1 </dev/null &
    fi
    wait_for_engine || { echo "lab-host-setup: dockerd did not answer within 60 s; see $logfile" >&2; exit 1; }
    say "Docker engine answers ($(docker version --format '{{.Server.Version}}'), pid $(cat "$pidfile"))"
fi

for dev in /dev/net/tun; do
    [ -e "$dev" ] || say "warning: $dev is missing: Open vSwitch's userspace datapath in lab nodes needs it"
done

say "ready for: cairn lab up"
