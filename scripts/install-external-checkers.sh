#!/bin/sh
# Installs the real tools the external tests (test/external/) check rendered files with,
# from Debian's archive:
#
#   oslo-config-validator + each service's option definitions (python3-keystone, -glance, -nova,
#     -neutron, -placement, -heat, -cinder; swift and python3-swift for the rings and pipelines;
#     their oslo.* libraries, keystonemiddleware, SQLAlchemy and PyYAML come as dependencies)
#   dnf, createrepo-c and rpm (rpmbuild): a real yum repository and a real dnf reading it
#
# Idempotent: when every package is installed it touches nothing (no apt-get update), so the
# external tests can call it on every run. POSIX sh (setup-test-host.sh runs it with sh).
# Needs root to install, as apt-get does.
set -eu

packages="python3-oslo.config python3-keystone python3-glance python3-nova python3-neutron python3-placement python3-heat python3-cinder swift python3-swift dnf createrepo-c rpm"

missing=""
for p in $packages; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  echo "install-external-checkers: all packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-external-checkers: missing$missing; run as root to install them" >&2
  exit 1
fi

echo "install-external-checkers: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt/dpkg run (e.g. a background install) instead of failing on its lock.
apt-get -o DPkg::Lock::Timeout=900 update -qq
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends $missing >/dev/null
echo "install-external-checkers: done"
