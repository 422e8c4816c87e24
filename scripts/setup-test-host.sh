#!/bin/sh
# Installs, from Debian's archive, everything cairn's test suite uses for real: the services'
# own config validators, dnf + createrepo-c, OpenSSH server, Docker + debootstrap (lab tests).
# Idempotent; run as root. Each step is its own script so a developer can run just one.
set -eu
here=$(dirname "$0")
sh "$here/install-external-checkers.sh"
sh "$here/install-test-tools.sh"
sh "$here/lab-host-setup.sh" --test-tools
