#!/usr/bin/env bash
# soak.sh — runs `infertop bench` on one preset for a while and checks that the
# Go heap and the process RSS do not grow once warm-up is over.
#
# Usage: scripts/soak.sh [DURATION] [PRESET] [DEVICE]     (defaults: 60s mlp cpu)
#        SOAK_LIMIT_PCT=5 sets the accepted growth in percent.
#        INFERTOP=path uses that binary instead of building one (e.g. a -tags gpu
#        build from scripts/build-gpu.sh on a machine without Go).
#
# bench's hidden --soak-report flag prints, once a second on stderr,
#   soak: t=12.0 state=measuring heap_live=<bytes> heap_objects=<bytes> rss=<bytes>
# heap_live is the Go runtime's live heap (runtime/metrics /gc/heap/live:bytes,
# read right after a forced GC), rss is VmRSS from /proc/self/status. The baseline is the
# first sample taken after warm-up, the end value the last one; the script
# exits 1 when either grew by more than the limit.
set -euo pipefail

dur=${1:-60s}
preset=${2:-mlp}
device=${3:-cpu}
limit=${SOAK_LIMIT_PCT:-5}

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bin=${INFERTOP:-}
if [ -z "$bin" ]; then
	bin="$tmp/infertop"
	(cd "$root" && go build -o "$bin" .)
fi
echo "soak: $preset on $device for $dur (limit ${limit} %)"
if ! "$bin" bench --preset "$preset" --device "$device" --duration "$dur" \
	--soak-report 1s --format json --output "$tmp/result.json" 2>"$tmp/stderr"; then
	cat "$tmp/stderr" >&2
	exit 1
fi

grep '^soak:' "$tmp/stderr" | awk -v limit="$limit" '
{
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	if (v["state"] != "measuring" && v["state"] != "stable") next
	n++
	if (n == 1) { h0 = v["heap_live"]; r0 = v["rss"]; t0 = v["t"] }
	h1 = v["heap_live"]; r1 = v["rss"]; t1 = v["t"]
}
END {
	if (n < 2 || h0 <= 0 || r0 <= 0) { print "soak: fewer than 2 samples after warm-up; run longer" > "/dev/stderr"; exit 1 }
	hg = 100 * (h1 - h0) / h0; rg = 100 * (r1 - r0) / r0
	printf "after warm-up, %d samples from t=%ss to t=%ss\n", n, t0, t1
	printf "Go heap (live): %12d -> %12d bytes  %+6.2f %%\n", h0, h1, hg
	printf "RSS:            %12d -> %12d bytes  %+6.2f %%\n", r0, r1, rg
	if (hg > limit || rg > limit) { printf "FAIL: growth above %s %%\n", limit; exit 1 }
	print "ok"
}'
