#!/usr/bin/env bash
# tui-overhead.sh: how much throughput the live dashboard costs. Runs the same
# preset and batch headless (`infertop bench`) and under the dashboard (in
# tmux), alternating, and prints the ratio dashboard ÷ headless (goal ≥ 0.98).
#
# Usage: scripts/tui-overhead.sh [preset] [batch]
# Environment: DURATION (measured seconds per run, default 10), WARMUP (default 1s),
# ROUNDS (default 2), INFERTOP_BIN (a built binary; default: go build).
set -euo pipefail

preset=${1:-mlp}
batch=${2:-256}
duration=${DURATION:-10}
warmup=${WARMUP:-1s}
rounds=${ROUNDS:-2}

command -v tmux >/dev/null || { echo "tui-overhead: tmux is needed (apt-get install -y tmux)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "tui-overhead: python3 is needed to read the JSON results" >&2; exit 2; }

work=$(mktemp -d)
session="infertop-overhead-$$"
cleanup() { tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

bin=${INFERTOP_BIN:-}
if [[ -z "$bin" ]]; then
	bin="$work/infertop"
	(cd "$(dirname "$0")/.." && go build -o "$bin" .)
fi

headless() {
	"$bin" bench --preset "$preset" --batch "$batch" --warmup "$warmup" --duration "${duration}s" --format json \
		>"$work/bench.json" 2>/dev/null
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rows"][0]["samples_per_sec"])' "$work/bench.json"
}

dashboard() {
	rm -f "$work/tui.json"
	tmux new-session -d -s "$session" -x 120 -y 40 \
		"INFERTOP_DASHBOARD_RESULT=$work/tui.json $bin --preset $preset --batch $batch --warmup $warmup"
	# Wait for measuring to start, then measure for the same time as bench.
	for _ in $(seq 600); do
		if tmux capture-pane -p -t "$session" | grep -q "measuring\|stable ✓"; then break; fi
		sleep 0.1
	done
	sleep "$duration"
	tmux send-keys -t "$session" q
	for _ in $(seq 300); do [[ -s "$work/tui.json" ]] && break; sleep 0.1; done
	tmux kill-session -t "$session" 2>/dev/null || true
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["samples_per_second"])' "$work/tui.json"
}

h_all=() t_all=()
for r in $(seq "$rounds"); do
	h=$(headless); t=$(dashboard)
	h_all+=("$h"); t_all+=("$t")
	printf 'round %d: headless %.1f samples/s, dashboard %.1f samples/s\n' "$r" "$h" "$t"
done
python3 - "${h_all[*]}" "${t_all[*]}" "$preset" "$batch" <<'PY'
import sys
h = [float(x) for x in sys.argv[1].split()]
t = [float(x) for x in sys.argv[2].split()]
mh, mt = sum(h) / len(h), sum(t) / len(t)
print(f"{sys.argv[3]} batch {sys.argv[4]}: headless {mh:.1f} samples/s, dashboard {mt:.1f} samples/s, ratio {mt / mh:.3f} (goal >= 0.98)")
PY
