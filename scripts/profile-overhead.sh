#!/usr/bin/env bash
# profile-overhead.sh: how much the step profile costs. Runs the same model
# and batch with `infertop bench` and with `infertop bench --profile`,
# alternating, and prints the measured throughput of each and the ratio
# profiled ÷ plain (goal ≥ 0.98), then how much longer a profiling batch
# takes than a measured one (the clock reads around every step).
#
# Usage: scripts/profile-overhead.sh [preset|FILE.onnx] [batch]
# Environment: DURATION (measured seconds per run, default 10), WARMUP (default 1s),
# ROUNDS (default 2), INFERTOP_BIN (a built binary; default: go build).
set -euo pipefail

what=${1:-resnet}
batch=${2:-32}
duration=${DURATION:-10}
warmup=${WARMUP:-1s}
rounds=${ROUNDS:-2}

command -v python3 >/dev/null || { echo "profile-overhead: python3 is needed to read the JSON results" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bin=${INFERTOP_BIN:-}
if [[ -z "$bin" ]]; then
	bin="$work/infertop"
	(cd "$(dirname "$0")/.." && go build -o "$bin" .)
fi
model=(--preset "$what")
[[ "$what" == *.onnx ]] && model=(--model "$what")

run() { # run OUT.json [extra flags...]
	local out=$1
	shift
	"$bin" bench "${model[@]}" --batch "$batch" --warmup "$warmup" --duration "${duration}s" --format json "$@" >"$out" 2>/dev/null
}

plain=() prof=() ratio=()
for r in $(seq "$rounds"); do
	run "$work/plain.json"
	run "$work/prof.json" --profile
	read -r p q x < <(python3 - "$work/plain.json" "$work/prof.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["rows"][0]
b = json.load(open(sys.argv[2]))["rows"][0]
pr = b["profile"]
print(a["samples_per_sec"], b["samples_per_sec"], pr["batch_ms"] / b["latency_ms"]["p50"])
PY
	)
	plain+=("$p") prof+=("$q") ratio+=("$x")
	printf 'round %d: plain %.1f samples/s, --profile %.1f samples/s; a profiling batch takes %.3f × a measured one\n' "$r" "$p" "$q" "$x"
done
python3 - "${plain[*]}" "${prof[*]}" "${ratio[*]}" "$what" "$batch" <<'PY'
import sys
p = [float(x) for x in sys.argv[1].split()]
q = [float(x) for x in sys.argv[2].split()]
x = [float(v) for v in sys.argv[3].split()]
mp, mq, mx = sum(p) / len(p), sum(q) / len(q), sum(x) / len(x)
print(f"{sys.argv[4]} batch {sys.argv[5]}: plain {mp:.1f} samples/s, --profile {mq:.1f} samples/s, ratio {mq / mp:.3f} (goal >= 0.98); "
      f"a profiling batch takes {mx:.3f} × a measured one's p50")
PY
