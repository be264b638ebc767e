#!/usr/bin/env bash
# ab-bench.sh A B: the samples/s of two infertop binaries (say, a release and a
# new build) on the same presets, batches and thread counts, run A B B A per
# preset and thread count so that drift of a shared machine hits both alike.
# Prints a Markdown table of each binary's mean samples/s and B ÷ A.
#
#   scripts/ab-bench.sh /tmp/infertop-old ./infertop
#   PRESETS="mlp resnet" BATCHES=1,32 THREADS="1 2" DURATION=3s scripts/ab-bench.sh A B
set -euo pipefail
if [[ $# -ne 2 || ! -x $1 || ! -x $2 ]]; then
	echo "usage: $0 A B (two infertop binaries)" >&2
	exit 2
fi
a=$1 b=$2
presets=${PRESETS:-linear mlp lenet5 resnet transformer}
batches=${BATCHES:-1,32,256}
threads=${THREADS:-1 2}
duration=${DURATION:-3s}
warmup=${WARMUP:-1s}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() { # binary tag preset threads
	"$1" bench --preset "$3" --batch "$batches" --threads "$4" --duration "$duration" --warmup "$warmup" \
		--format json >"$tmp/$2-$3-t$4-$RANDOM.json" 2>/dev/null
}
for t in $threads; do
	for p in $presets; do
		echo "ab-bench: $p, $t thread(s)" >&2
		run "$a" A "$p" "$t"
		run "$b" B "$p" "$t"
		run "$b" B "$p" "$t"
		run "$a" A "$p" "$t"
	done
done
/usr/bin/python3 - "$tmp" <<'EOF'
import glob, json, os, sys
from collections import defaultdict
runs = defaultdict(list)
for path in glob.glob(os.path.join(sys.argv[1], "*.json")):
    tag = os.path.basename(path).split("-")[0]
    doc = json.load(open(path))
    threads = doc["meta"]["threads"]
    for r in doc["rows"]:
        name = r.get("model") or r.get("preset")
        runs[(name, r["batch"], threads, tag)].append(r["samples_per_sec"])
keys = sorted({k[:3] for k in runs}, key=lambda k: (k[2], k[0], k[1]))
print("| preset | batch | threads | A samples/s | B samples/s | B ÷ A |")
print("|---|--:|--:|--:|--:|--:|")
for name, batch, threads in keys:
    a = runs.get((name, batch, threads, "A"), [])
    b = runs.get((name, batch, threads, "B"), [])
    if not a or not b:
        continue
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    print(f"| {name} | {batch} | {threads} | {ma:,.0f} | {mb:,.0f} | {mb / ma:.2f} |")
EOF
