#!/bin/sh
# Install the real tools cairn's transport tests run against: OpenSSH's server (sshd) and
# client tools (ssh-keygen), and qemu for the guest image's boot test, from the Debian archive
# this machine's apt sources name.
#
# Idempotent: nothing happens when /usr/sbin/sshd and ssh-keygen are already there, and
# `apt-get update` runs only when a package is missing. The package's service is NOT started:
# the tests start their own sshd on 127.0.0.1 with a temporary config. When the machine has no
# policy-rc.d, one that forbids starting services is put in place for the install and removed
# afterwards (so no sshd ends up listening on port 22).
set -eu

say() { printf 'install-test-tools: %s\n' "$*"; }

check_missing() {
    missing=""
    [ -x /usr/sbin/sshd ] || missing="$missing openssh-server"
    command -v ssh-keygen >/dev/null 2>&1 || missing="$missing openssh-client"
    # sudo: the transport's `sudo -n` wrapping is exercised against the real one.
    command -v sudo >/dev/null 2>&1 || missing="$missing sudo"
    # qemu: the guest image's own boot test (TCG, no KVM needed).
    command -v qemu-system-x86_64 >/dev/null 2>&1 || missing="$missing qemu-system-x86"
}

check_missing
[ -z "$missing" ] && exit 0

# Test files run in parallel processes: one installs, the others wait and find it done.
if command -v flock >/dev/null 2>&1; then
    exec 9>/tmp/cairn-install-test-tools.lock
    flock 9
    check_missing
    [ -z "$missing" ] && exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    say "need root to install:$missing" >&2
    exit 1
fi

policy=/usr/sbin/policy-rc.d
made_policy=no
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# temporary, from cairn scripts/install-test-tools.sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made_policy=yes
fi
cleanup() { [ "$made_policy" = yes ] && rm -f "$policy"; return 0; }
trap cleanup EXIT

say "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
say "done"
