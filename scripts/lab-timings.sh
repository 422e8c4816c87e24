#!/bin/sh
# Measures `cairn lab up` (warm or cold node image cache), a second `lab up`, and `lab down`,
# for a 1 controller + 2 computes lab, in a scratch directory. Prints one line per step.
#
# Usage (as root, after scripts/lab-host-setup.sh and npm run build):
#   scripts/lab-timings.sh          # warm: the node image is reused if cached
#   scripts/lab-timings.sh --cold   # cold: removes the cached cairn-lab-* images first
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
name=timing
cold=no
[ "${1:-}" = --cold ] && cold=yes

# `cairn lab` once src/cli/main.ts registers it; until then the test harness that does the same.
if node "$repo/bin/cairn.js" --help 2>/dev/null | grep -q '^ *lab '; then
    cairn() { node "$repo/bin/cairn.js" "$@"; }
else
    cairn() { node "$repo/dist/test/lab/helpers/lab-cli.js" "$@"; }
fi

if docker ps -a --filter label=cairn.lab --format '{{.Names}}' | grep -q .; then
    if [ "$cold" = yes ]; then
        echo "lab-timings: labs are up (docker ps --filter label=cairn.lab): a cold run would remove images they use" >&2
        exit 2
    fi
fi

dir=$(mktemp -d /tmp/cairn-lab-timings-XXXXXX)
trap 'cd /; (cd "$dir" && cairn lab down --name "$name" >/dev/null 2>&1) || true; rm -rf "$dir"' EXIT
cd "$dir"

if [ "$cold" = yes ]; then
    images=$(docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^cairn-lab-(base|node):' || true)
    [ -z "$images" ] || docker rmi $images >/dev/null
fi

now() { date +%s.%N; }
step() {
    label=$1; shift
    t0=$(now)
    "$@" >"$dir/out.log" 2>&1 || { cat "$dir/out.log" >&2; exit 1; }
    t1=$(now)
    awk -v l="$label" -v a="$t0" -v b="$t1" 'BEGIN { printf "%-34s %6.1f s\n", l, b - a }'
}

if [ "$cold" = yes ]; then what="lab up (cold: builds the image)"; else what="lab up (warm image cache)"; fi
step "$what" cairn lab up --name "$name"
step "lab up again (no-op)" cairn lab up --name "$name"
step "lab down" cairn lab down --name "$name"
