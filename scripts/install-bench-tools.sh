#!/bin/sh
# Installs the peers the benchmarks measure cairn against (ansible from Debian's archive).
# Idempotent: apt-get update runs only when something is missing.
set -eu
if ! command -v ansible-playbook >/dev/null 2>&1; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ansible openssh-client
fi
