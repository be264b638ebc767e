#!/usr/bin/env bash
# gpu-verify.sh — one short visit to a GPU machine: telemetry check, selftest,
# infertop CUDA benchmarks, the same in PyTorch, a CPU reference point, and
# full-size imported models (ResNet-50, MobileNetV2, a BERT-base encoder) in fp32, tf32, fp16 and bf16.
#
# Usage: scripts/gpu-verify.sh [options] [GPU_BINARY [DEFAULT_BINARY]]
#   GPU_BINARY       infertop built with -tags gpu      (default .devout/infertop-gpu)
#   DEFAULT_BINARY   infertop default build (for NVML)  (default .devout/infertop)
# Options:
#   --dry-run        print the plan and exit; runs nothing
#   --budget S       total seconds for all steps (default 540); later steps are skipped past it
#   --imported-share S  seconds of the budget kept for step 7, the imported models (default 200; 0 leaves
#                    it out; the whole --budget runs step 7 alone)
#   --imported-batches LIST  batch sizes of step 7, in this order (default 32,128)
#   --python PATH    python3 with torch (default /opt/torch/.venv/bin/python3, else python3)
#   --duration D     timed part of each benchmark, Go duration (default 2s)
#   --warmup D       warm-up of each benchmark, Go duration (default 1s)
#   --batches LIST   batch sizes (default 1,32,256,1024)
#   --presets LIST   presets (default linear,mlp,lenet5,resnet,transformer)
#   --out DIR        where results go (default $OUT)
#   --steps BIN      engine/cuda test binary for per-step and per-node GPU times (default .devout/cuda-steps.test,
#                    built by scripts/build-gpu.sh OUT STEPS); skipped when absent
#
# Results in $OUT: smi.txt devices.txt selftest.txt calibrate.txt steps.txt conformance.txt profile.txt serving.txt bench.jsonl torch.jsonl
# imported.jsonl imported.txt summary.txt (its ratio table also gives infertop's energy per sample where NVML counted
# it; its last table the imported models per precision).
# Every step runs under `timeout`; a failing step is logged with its exit code and the
# script goes on. The script itself exits 0 unless its arguments are wrong.
set -u

GPU_BIN=.devout/infertop-gpu
CPU_BIN=.devout/infertop
BUDGET=540
IMPORTED_SHARE=200
IMPORTED_BATCHES=32,128
IMPORTED_MODELS="resnet50 mobilenetv2 bert_encoder"
IMPORTED_PRECISIONS="fp32 tf32 fp16 bf16"
IMP_WARMUP=0.5s
IMP_DURATION=1s
IMP_ERR_BATCH=8
PY=
DURATION=2s
WARMUP=1s
BATCHES=1,32,256,1024
PRESETS=linear,mlp,lenet5,resnet,transformer
RESIDENT_PRESETS=mlp,resnet
DRY=0
OUTDIR=${OUT:-}
STEPS_BIN=.devout/cuda-steps.test
STEP_CASES="resnet:256 resnet:1024 transformer:256"
PROFILE_PRESETS="resnet transformer"

usage() { sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "gpu-verify: $*" >&2; echo "run with --help for usage" >&2; exit 2; }
need() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"; }

pos=()
while [ $# -gt 0 ]; do
	case "$1" in
	-h|--help) usage; exit 0 ;;
	-n|--dry-run) DRY=1 ;;
	--budget) need "$@"; BUDGET=$2; shift ;;
	--imported-share) need "$@"; IMPORTED_SHARE=$2; shift ;;
	--imported-batches) need "$@"; IMPORTED_BATCHES=$2; shift ;;
	--python) need "$@"; PY=$2; shift ;;
	--duration) need "$@"; DURATION=$2; shift ;;
	--warmup) need "$@"; WARMUP=$2; shift ;;
	--batches) need "$@"; BATCHES=$2; shift ;;
	--presets) need "$@"; PRESETS=$2; shift ;;
	--out) need "$@"; OUTDIR=$2; shift ;;
	--steps) need "$@"; STEPS_BIN=$2; shift ;;
	--steps=*) STEPS_BIN=${1#*=} ;;
	--budget=*) BUDGET=${1#*=} ;;
	--imported-share=*) IMPORTED_SHARE=${1#*=} ;;
	--imported-batches=*) IMPORTED_BATCHES=${1#*=} ;;
	--python=*) PY=${1#*=} ;;
	--duration=*) DURATION=${1#*=} ;;
	--warmup=*) WARMUP=${1#*=} ;;
	--batches=*) BATCHES=${1#*=} ;;
	--presets=*) PRESETS=${1#*=} ;;
	--out=*) OUTDIR=${1#*=} ;;
	--) shift; pos+=("$@"); break ;;
	-*) die "unknown option $1" ;;
	*) pos+=("$1") ;;
	esac
	shift
done
[ ${#pos[@]} -le 2 ] || die "at most two binaries, got ${#pos[@]} arguments"
[ ${#pos[@]} -ge 1 ] && GPU_BIN=${pos[0]}
[ ${#pos[@]} -ge 2 ] && CPU_BIN=${pos[1]}
[[ $BUDGET =~ ^[0-9]+$ ]] && [ "$BUDGET" -gt 0 ] || die "--budget must be a positive number of seconds"
[[ $BATCHES =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--batches must be a comma-separated list of integers"
[[ $IMPORTED_SHARE =~ ^[0-9]+$ ]] || die "--imported-share must be a number of seconds (0 leaves step 7 out)"
[ "$IMPORTED_SHARE" -le "$BUDGET" ] || die "--imported-share ${IMPORTED_SHARE}s is more than the --budget of ${BUDGET}s"
[[ $IMPORTED_BATCHES =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--imported-batches must be a comma-separated list of positive integers"
[[ $PRESETS =~ ^[a-z0-9]+(,[a-z0-9]+)*$ ]] || die "--presets must be a comma-separated list of names"
[[ $DURATION =~ ^[0-9.]+(ms|s|m)$ ]] || die "--duration must be a Go duration such as 2s"
[[ $WARMUP =~ ^[0-9.]+(ms|s|m)$ ]] || die "--warmup must be a Go duration such as 1s"
if [ -z "$PY" ]; then
	if [ -x /opt/torch/.venv/bin/python3 ]; then PY=/opt/torch/.venv/bin/python3; else PY=python3; fi
fi

# Go duration -> seconds (for bench.py, which takes floats).
secs() { case "$1" in *ms) awk -v v="${1%ms}" 'BEGIN{print v/1000}' ;; *s) echo "${1%s}" ;; *m) awk -v v="${1%m}" 'BEGIN{print v*60}' ;; esac; }
DUR_S=$(secs "$DURATION")
WARM_S=$(secs "$WARMUP")
HERE=$(cd "$(dirname "$0")/.." && pwd)
BENCH_PY=$HERE/bench/pytorch/bench.py
EXPORT_PY=$HERE/bench/pytorch/export_imported.py
IMPORTED_PY=$HERE/bench/pytorch/bench_imported.py
REPORT_PY=$HERE/bench/pytorch/gpu_report.py
SMI_QUERY=index,pci.bus_id,name,uuid,memory.total,memory.used,memory.free,utilization.gpu,utilization.memory,temperature.gpu,power.draw,power.limit,clocks.sm,clocks.max.sm,clocks.mem,clocks.max.mem,driver_version
IFS=, read -r -a PRESET_LIST <<<"$PRESETS"
IFS=, read -r -a RESIDENT_LIST <<<"$RESIDENT_PRESETS"
IFS=, read -r -a IMP_BATCH_LIST <<<"$IMPORTED_BATCHES"

plan() {
	cat <<EOF
gpu-verify plan (budget ${BUDGET}s: steps 1-6 within $(( BUDGET - IMPORTED_SHARE ))s, step 7 in the rest; each step under
timeout; a failure is logged and the script goes on)
  gpu binary:     $GPU_BIN
  default binary: $CPU_BIN
  python:         $PY
  out:            ${OUTDIR:-(\$OUT unset: a temporary folder)}
  1 smi       nvidia-smi > smi.txt; nvidia-smi --query-gpu=$SMI_QUERY --format=csv >> smi.txt
              $CPU_BIN devices --format json > devices.txt (right after), then gpu_report.py smi-compare >> devices.txt
  2 selftest  timeout 60 $GPU_BIN selftest --device cuda:0 --presets lenet5 --batches 1 (cuDNN probe: if the
              process dies of a signal, INFERTOP_CUDNN=off for the rest of the visit)
              timeout 120 $GPU_BIN selftest --device cuda:0 >> selftest.txt
              then again with INFERTOP_CUDA_CONV=implicit, =im2col and =cudnn (each convolution way alone) >> selftest.txt
              then the ONNX fixtures testdata/models/{resnet_narrow,squeeze_tiny,mobilenet_tiny,efficient_se,bert_tiny}.onnx, auto and direct
              then the presets and the fixtures with --precision fp16 and bf16
  2a calibrate timeout 30 $GPU_BIN calibrate --device cuda:0 > calibrate.txt
  2b steps    for c in $STEP_CASES: INFERTOP_CUDA_STEP_TIMES=\$c $STEPS_BIN -test.run TestStepTimes -test.v >> steps.txt
              then $STEPS_BIN -test.run TestRunProfiledOnGPU -test.v >> steps.txt (the step profile's events)
              then INFERTOP_CUDA_CONFORMANCE=onnx/backendtest/testdata/onnx-v1.16.2/node $STEPS_BIN
                -test.run TestDeviceConformance -test.v > conformance.txt (ONNX's backend node tests on the GPU)
              (only when $STEPS_BIN is present)
  3 bench     for p in ${PRESET_LIST[*]}:
                $GPU_BIN bench --preset \$p --device cuda:0 --batch $BATCHES --warmup $WARMUP --duration $DURATION --format json >> bench.jsonl
  4 torch     $PY bench/pytorch/bench.py --device cuda:0 --preset $PRESETS --batch $BATCHES --warmup $WARM_S --duration $DUR_S --pinned >> torch.jsonl
  3b/4b       for p in ${RESIDENT_LIST[*]}: step 3 with --resident; step 4 for ${RESIDENT_PRESETS} with --resident, and without --pinned (pageable)
  3c profile  for p in $PROFILE_PRESETS: $GPU_BIN bench --preset \$p --device cuda:0 --batch 256 --profile --warmup $WARMUP --duration $DURATION >> profile.txt
  3d serving  for r in 5000 50000: $GPU_BIN bench --preset resnet --device cuda:0 --batch 128 --arrival poisson:\$r --preferred-batch 8,32 --max-delay 1ms --instances 2 --slo-p99 20ms >> serving.txt
  5 cpu-ref   $GPU_BIN bench --preset mlp --device cpu --batch 256 --warmup $WARMUP --duration $DURATION --format json >> bench.jsonl
              $PY bench/pytorch/bench.py --device cpu --preset mlp --batch 256 >> torch.jsonl (all cores)
  6 tf32      for p in resnet transformer: step 3 at --batch 256,1024 with --tf32; step 4 for them with --tf32
              (last of steps 1-6, so a spent budget cuts it first)
$(plan_imported)
  end         nvidia-smi --query-gpu=... again >> smi.txt (state after the load)
              gpu_report.py ratios bench.jsonl torch.jsonl >> summary.txt
              gpu_report.py imported imported.jsonl >> summary.txt
  files: smi.txt devices.txt selftest.txt calibrate.txt steps.txt conformance.txt profile.txt serving.txt bench.jsonl torch.jsonl
         imported.jsonl imported.txt summary.txt
EOF
}

plan_imported() {
	if [ "$IMPORTED_SHARE" = 0 ]; then
		echo "  7 imported  left out (--imported-share 0)"
		return
	fi
	cat <<EOF
  7 imported  the last ${IMPORTED_SHARE}s of the budget: full-size models in each precision, warm-up $IMP_WARMUP, duration $IMP_DURATION
              $PY bench/pytorch/export_imported.py \$WORK/imported (${IMPORTED_MODELS// /, }; opset 17, seeded) >> imported.txt
              for b in ${IMP_BATCH_LIST[*]}, for m in $IMPORTED_MODELS:
                for P in $IMPORTED_PRECISIONS: $GPU_BIN bench --model \$m.onnx --dim seq=128 --device cuda:0 --precision \$P
                  --batch \$b --format json >> imported.jsonl (a build without --precision: --tf32 for tf32, fp16/bf16 skipped)
                $PY bench/pytorch/bench_imported.py --model \$m --device cuda:0 --batch \$b >> imported.jsonl
                  (PyTorch eager, pinned float32 input copied each batch; fp16/bf16 as module.half()/.bfloat16();
                  each precision's relative error against its own fp32 output)
                after the first batch's benchmarks, for m, P: $GPU_BIN selftest --device cuda:0 --presets none --model \$m.onnx
                  --dim seq=128 --batches $IMP_ERR_BATCH --precision \$P >> imported.jsonl (infertop's error against its CPU engine)
EOF
}

if [ "$DRY" = 1 ]; then
	plan
	echo "checks: gpu binary $( [ -x "$GPU_BIN" ] && echo present || echo MISSING ), default binary $( [ -x "$CPU_BIN" ] && echo present || echo MISSING ), python $(command -v "$PY" >/dev/null 2>&1 && echo present || echo MISSING), nvidia-smi $(command -v nvidia-smi >/dev/null 2>&1 && echo present || echo MISSING)"
	exit 0
fi

if [ -z "$OUTDIR" ]; then
	OUTDIR=$(mktemp -d /tmp/gpu-verify.XXXXXX)
	echo "gpu-verify: \$OUT is not set; writing to $OUTDIR"
fi
mkdir -p "$OUTDIR" || die "cannot create $OUTDIR"
WORK=$(mktemp -d /tmp/gpu-verify-work.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
SUMMARY=$OUTDIR/summary.txt
: >"$SUMMARY"
START=$(date +%s)

log() { echo "$*" | tee -a "$SUMMARY"; }
elapsed() { echo $(( $(date +%s) - START )); }
# left: seconds of budget left, less the share kept for step 7 until step 7 starts.
RESERVED=$IMPORTED_SHARE
left() { echo $(( BUDGET - RESERVED - $(elapsed) )); }

# run NAME LIMIT OUTFILE CMD... : runs CMD under timeout, stdout+stderr appended to OUTFILE,
# skipped when the budget is spent; logs the exit code. The limit is cut to the budget left.
run() {
	local name=$1 limit=$2 file=$3; shift 3
	local l; l=$(left)
	if [ "$l" -lt 5 ]; then
		log "[$(elapsed)s] SKIP $name: budget of ${BUDGET}s spent"
		echo "SKIPPED $name: budget spent" >>"$file"
		return 125
	fi
	[ "$limit" -gt "$l" ] && limit=$l
	local t0 rc; t0=$(date +%s)
	echo "\$ $*" >>"$file"
	timeout -k 5 "$limit" "$@" >>"$file" 2>&1
	rc=$?
	echo "# exit $rc after $(( $(date +%s) - t0 ))s" >>"$file"
	log "[$(elapsed)s] $name: exit $rc in $(( $(date +%s) - t0 ))s$([ $rc = 124 ] && echo " (timed out at ${limit}s)")"
	return $rc
}

# run_json NAME LIMIT CMD... : like run, but stores one line in $JSON_TO (bench.jsonl unless set):
# {"step","cmd","rc","wall_s","result":<parsed JSON>} or "stdout" when it does not parse,
# with the fields of the JSON object $JSON_TAGS added.
run_json() {
	local name=$1 limit=$2; shift 2
	local l; l=$(left)
	if [ "$l" -lt 5 ]; then
		log "[$(elapsed)s] SKIP $name: budget of ${BUDGET}s spent"
		return 125
	fi
	[ "$limit" -gt "$l" ] && limit=$l
	local t0 rc; t0=$(date +%s)
	timeout -k 5 "$limit" "$@" >"$WORK/o" 2>"$WORK/e"
	rc=$?
	local wall=$(( $(date +%s) - t0 ))
	if ! JSON_TAGS=${JSON_TAGS:-} "$PY" - "$name" "$rc" "$wall" "$WORK/o" "$WORK/e" "$@" >>"${JSON_TO:-$OUTDIR/bench.jsonl}" <<'EOF'
import json, os, sys
name, rc, wall, o, e = sys.argv[1:6]
rec = {"step": name, "cmd": sys.argv[6:], "rc": int(rc), "wall_s": int(wall)}
rec.update(json.loads(os.environ.get("JSON_TAGS") or "{}"))
out = open(o, errors="replace").read()
err = open(e, errors="replace").read()
try:
    rec["result"] = json.loads(out)
except ValueError:
    rec["stdout"] = out[-4000:]
if err.strip():
    rec["stderr"] = err[-2000:]
print(json.dumps(rec))
EOF
	then
		{ echo "{\"step\": \"$name\", \"rc\": $rc, \"note\": \"python wrapper failed; raw output follows\"}"; cat "$WORK/o" "$WORK/e"; } >>"${JSON_TO:-$OUTDIR/bench.jsonl}"
	fi
	log "[$(elapsed)s] $name: exit $rc in ${wall}s$([ $rc = 124 ] && echo " (timed out at ${limit}s)")$( { [ $rc != 0 ] && grep -v '^\s*$' "$WORK/e" | tail -n1; grep -m1 -i 'error' "$WORK/e"; } 2>/dev/null | head -n1 | cut -c1-120 | sed 's/^/ — /')"
	return $rc
}

log "gpu-verify $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname) — budget ${BUDGET}s"
log "gpu binary $GPU_BIN ($( [ -x "$GPU_BIN" ] && echo present || echo MISSING )); default binary $CPU_BIN ($( [ -x "$CPU_BIN" ] && echo present || echo MISSING )); python $PY"
log "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores; git $(git -C "$HERE" rev-parse --short HEAD 2>/dev/null || echo '?')"
# The cuBLAS and cuDNN copies the engine may load (it names the one it took in selftest.txt).
log "cuBLAS/cuDNN files: $(ls -1 /opt/*/.venv/lib/python3*/site-packages/nvidia/*/lib/libcublas.so.* \
	/opt/*/.venv/lib/python3*/site-packages/nvidia/*/lib/libcudnn.so.* /usr/local/cuda*/lib64/libcublas.so.* \
	/usr/local/cuda*/lib64/libcudnn.so.* /usr/lib/x86_64-linux-gnu/libcudnn.so.* 2>/dev/null | tr '\n' ' ')"

# 1. Telemetry: nvidia-smi, then infertop devices right after, then field-by-field.
SMI=$OUTDIR/smi.txt
DEV=$OUTDIR/devices.txt
: >"$SMI"; : >"$DEV"
run smi 20 "$SMI" nvidia-smi
timeout 15 nvidia-smi --query-gpu="$SMI_QUERY" --format=csv >"$WORK/smi.csv" 2>&1
rc_q=$?
timeout 20 "$CPU_BIN" devices --format json >"$WORK/devices.json" 2>"$WORK/devices.err"
rc_d=$?
{ echo "\$ nvidia-smi --query-gpu=$SMI_QUERY --format=csv"; cat "$WORK/smi.csv"; echo "# exit $rc_q"; } >>"$SMI"
{ echo "\$ $CPU_BIN devices --format json"; cat "$WORK/devices.json" "$WORK/devices.err"; echo "# exit $rc_d"; } >>"$DEV"
log "[$(elapsed)s] smi-query: exit $rc_q; devices: exit $rc_d"
{ echo; echo "== nvidia-smi vs infertop devices, field by field"; } >>"$DEV"
run smi-compare 20 "$DEV" "$PY" "$REPORT_PY" smi-compare "$WORK/smi.csv" "$WORK/devices.json"
grep -E 'DIFFERENT|missing|text fields' "$DEV" | head -n 8 | tee -a "$SUMMARY"

# 2. Selftest on the GPU.
ST=$OUTDIR/selftest.txt
: >"$ST"
# cuDNN is loaded from outside the project (PyTorch's wheel); should loading or
# calling it kill the process (a signal, exit >= 128), every later run with a
# convolution would die too: the rest of the visit then runs with INFERTOP_CUDNN=off.
run cudnn-probe 60 "$ST" "$GPU_BIN" selftest --device cuda:0 --presets lenet5 --batches 1
rc=$?
if [ "$rc" -ge 128 ] && [ "$rc" -ne 137 ]; then # 137: killed by timeout, not a crash
	export INFERTOP_CUDNN=off
	log "cudnn-probe: the process died (exit $rc); INFERTOP_CUDNN=off for the rest of this visit"
fi
run selftest 120 "$ST" "$GPU_BIN" selftest --device cuda:0
tail -n 5 "$ST" | tee -a "$SUMMARY"
# Each convolution way on its own (the default times every way per layer and may use only one).
for way in implicit im2col cudnn; do
	{ echo; echo "== INFERTOP_CUDA_CONV=$way"; } >>"$ST"
	run "selftest conv=$way" 60 "$ST" env INFERTOP_CUDA_CONV="$way" "$GPU_BIN" selftest --device cuda:0
	tail -n 2 "$ST" | tee -a "$SUMMARY"
done
# The committed ONNX fixtures the plans now cover (general pooling, every activation, broadcasting
# element-wise ops, Concat, grouped and depthwise convolutions, BERT's int64 ids and mask), as
# Prepare chooses and by the direct kernel alone.
FIXTURES="--presets none --model testdata/models/resnet_narrow.onnx --model testdata/models/squeeze_tiny.onnx --model testdata/models/mobilenet_tiny.onnx --model testdata/models/efficient_se.onnx --model testdata/models/bert_tiny.onnx --dim seq=16"
for way in "" direct; do
	{ echo; echo "== fixtures, INFERTOP_CUDA_CONV=${way:-auto}"; } >>"$ST"
	# shellcheck disable=SC2086 # FIXTURES is a list of flags
	run "selftest fixtures ${way:-auto}" 60 "$ST" env INFERTOP_CUDA_CONV="$way" "$GPU_BIN" selftest --device cuda:0 $FIXTURES
	tail -n 2 "$ST" | tee -a "$SUMMARY"
done
# The half-precision plans (converted weights, GemmEx, cuDNN in half) on the presets and the
# fixtures, each judged by its precision's tolerance against the CPU engine.
for prec in fp16 bf16; do
	{ echo; echo "== presets and fixtures, --precision $prec"; } >>"$ST"
	run "selftest $prec" 45 "$ST" "$GPU_BIN" selftest --device cuda:0 --precision "$prec"
	tail -n 2 "$ST" | tee -a "$SUMMARY"
	# shellcheck disable=SC2086 # FIXTURES is a list of flags
	run "selftest fixtures $prec" 45 "$ST" "$GPU_BIN" selftest --device cuda:0 --precision "$prec" $FIXTURES
	tail -n 2 "$ST" | tee -a "$SUMMARY"
done

# 2a. The card's sgemm peak measured afresh (what "% of peak" divides by), so that a
# figure cached by an earlier visit with another cuBLAS or clock state is not used.
run calibrate 30 "$OUTDIR/calibrate.txt" "$GPU_BIN" calibrate --device cuda:0
tail -n 1 "$OUTDIR/calibrate.txt" | tee -a "$SUMMARY"

# 2b. Where the GPU time goes, kernel by kernel (a test binary built with -tags gpu).
if [ -x "$STEPS_BIN" ]; then
	: >"$OUTDIR/steps.txt"
	for c in $STEP_CASES; do
		run "steps $c" 60 "$OUTDIR/steps.txt" env INFERTOP_CUDA_STEP_TIMES="$c" "$STEPS_BIN" -test.run '^TestStepTimes$' -test.v
	done
	# The step profile's events: outputs as Run's, steps tiling the compute time.
	run "profile test" 60 "$OUTDIR/steps.txt" "$STEPS_BIN" -test.run '^TestRunProfiledOnGPU$' -test.v
	# ONNX's backend node tests through the engine on the GPU: every kernel of the plans on real hardware.
	run "backend tests" 120 "$OUTDIR/conformance.txt" env INFERTOP_CUDA_CONFORMANCE=onnx/backendtest/testdata/onnx-v1.16.2/node \
		"$STEPS_BIN" -test.run '^TestDeviceConformance$' -test.v
	grep -h "passed on cuda:0\|failed on cuda:0" "$OUTDIR/conformance.txt" | tee -a "$SUMMARY"
else
	log "steps: $STEPS_BIN not present; per-step GPU times skipped"
fi

# 3-4. infertop and PyTorch on the GPU. End to end first for both (the comparison that
# matters most), then the resident and pageable variants, so a spent budget cuts the extras.
# infertop's end-to-end batch copies from and to its page-locked buffers, so the like-for-like
# PyTorch run is --pinned; PyTorch from pageable memory is the extra, for context.
: >"$OUTDIR/bench.jsonl"
TJ=$OUTDIR/torch.jsonl
: >"$TJ"
for p in "${PRESET_LIST[@]}"; do
	run_json "bench-$p" 45 "$GPU_BIN" bench --preset "$p" --device cuda:0 --batch "$BATCHES" \
		--warmup "$WARMUP" --duration "$DURATION" --format json
done
run torch 150 "$TJ" "$PY" "$BENCH_PY" --device cuda:0 --preset "$PRESETS" --batch "$BATCHES" \
	--warmup "$WARM_S" --duration "$DUR_S" --pinned
for p in "${RESIDENT_LIST[@]}"; do
	run_json "bench-$p-resident" 45 "$GPU_BIN" bench --preset "$p" --device cuda:0 --batch "$BATCHES" \
		--warmup "$WARMUP" --duration "$DURATION" --resident --format json
done
run torch-resident 60 "$TJ" "$PY" "$BENCH_PY" --device cuda:0 --preset "$RESIDENT_PRESETS" --batch "$BATCHES" \
	--warmup "$WARM_S" --duration "$DUR_S" --resident
run torch-pageable 60 "$TJ" "$PY" "$BENCH_PY" --device cuda:0 --preset "$RESIDENT_PRESETS" --batch "$BATCHES" \
	--warmup "$WARM_S" --duration "$DUR_S"

# 3c. The step profile on the GPU (CUDA events between the steps): the table under each row.
: >"$OUTDIR/profile.txt"
for p in $PROFILE_PRESETS; do
	run "profile-$p" 30 "$OUTDIR/profile.txt" "$GPU_BIN" bench --preset "$p" --device cuda:0 --batch 256 --profile \
		--warmup "$WARMUP" --duration "$DURATION"
done

# 3d. Serving mode on the GPU: two instances, each an executor with a stream of its own, serving
# Poisson arrivals through the dynamic batcher (prepared at 8, 32 and 128): the table says the offered
# and answered rates, the latency's parts and each instance's utilization.
: >"$OUTDIR/serving.txt"
for rate in 5000 50000; do
	run "serving-resnet-$rate" 30 "$OUTDIR/serving.txt" "$GPU_BIN" bench --preset resnet --device cuda:0 --batch 128 \
		--arrival "poisson:$rate" --preferred-batch 8,32 --max-delay 1ms --instances 2 --slo-p99 20ms \
		--warmup "$WARMUP" --duration "$DURATION"
done

# 5. CPU reference point on this machine (all cores).
run_json bench-cpu-mlp 30 "$GPU_BIN" bench --preset mlp --device cpu --batch 256 \
	--warmup "$WARMUP" --duration "$DURATION" --format json
run torch-cpu-mlp 40 "$TJ" "$PY" "$BENCH_PY" --device cpu --preset mlp --batch 256 \
	--warmup "$WARM_S" --duration "$DUR_S"

# 6. TF32 tensor cores allowed on both sides (off everywhere above): what the card gives
# when float32 inputs may be rounded to 10-bit mantissas, as PyTorch's allow_tf32.
for p in resnet transformer; do
	run_json "bench-$p-tf32" 30 "$GPU_BIN" bench --preset "$p" --device cuda:0 --batch 256,1024 --tf32 \
		--warmup "$WARMUP" --duration "$DURATION" --format json
done
run torch-tf32 60 "$TJ" "$PY" "$BENCH_PY" --device cuda:0 --preset resnet,transformer --batch 256,1024 \
	--warmup "$WARM_S" --duration "$DUR_S" --pinned --tf32

# 7. Full-size imported models (exported here by this machine's PyTorch) in each precision: infertop's
# CUDA engine and PyTorch eager, end to end, with each precision's error. It has the last
# IMPORTED_SHARE seconds of the budget; the first batch size for every model comes first, then
# infertop's errors, then the other batch sizes, so a spent share cuts the larger batches.
RESERVED=0
IMP=$OUTDIR/imported.jsonl
IMP_LOG=$OUTDIR/imported.txt
IMP_DIR=$WORK/imported
IMP_DIM="--dim seq=128"
: >"$IMP"; : >"$IMP_LOG"
# imp_flags TOOL P: the flags asking infertop's TOOL (bench, selftest) for precision P; status 1 when it cannot.
imp_flags() {
	if "$GPU_BIN" "$1" --help 2>&1 | grep -q -- '-precision'; then
		echo "--precision $2"
		return 0
	fi
	case $2 in
	fp32) echo "" ;;
	tf32) echo "--tf32" ;;
	*) return 1 ;;
	esac
}
# imp_bench B M: infertop at batch B on model M in every precision, then PyTorch on it.
imp_bench() {
	local b=$1 m=$2 p flags
	if [ -f "$IMP_DIR/$m.onnx" ]; then
		for p in $IMPORTED_PRECISIONS; do
			if ! flags=$(imp_flags bench "$p"); then
				log "[$(elapsed)s] SKIP imported $m $p b$b: this build's bench has no --precision"
				echo "{\"kind\": \"infertop-bench\", \"model\": \"$m\", \"precision\": \"$p\", \"batch\": $b, \"skipped\": \"this build's bench has no --precision\"}" >>"$IMP"
				continue
			fi
			# shellcheck disable=SC2086 # flags and IMP_DIM are lists of flags
			JSON_TO=$IMP JSON_TAGS="{\"kind\": \"infertop-bench\", \"model\": \"$m\", \"precision\": \"$p\", \"batch\": $b}" \
				run_json "imported $m $p b$b" 40 "$GPU_BIN" bench --model "$IMP_DIR/$m.onnx" $IMP_DIM --device cuda:0 $flags \
				--batch "$b" --warmup "$IMP_WARMUP" --duration "$IMP_DURATION" --format json
		done
	else
		log "[$(elapsed)s] SKIP imported $m b$b on infertop: $IMP_DIR/$m.onnx was not exported (imported.txt says why)"
	fi
	run "imported torch $m b$b" 60 "$WORK/torch-imported.txt" "$PY" "$IMPORTED_PY" --model "$m" --device cuda:0 --batch "$b" \
		--warmup "$(secs "$IMP_WARMUP")" --duration "$(secs "$IMP_DURATION")"
	grep '^{' "$WORK/torch-imported.txt" >>"$IMP"
	grep -v '^{' "$WORK/torch-imported.txt" >>"$IMP_LOG"
	: >"$WORK/torch-imported.txt"
}
# imp_errors M: infertop's error in each precision against its CPU engine (selftest), on model M.
imp_errors() {
	local m=$1 p flags
	[ -f "$IMP_DIR/$m.onnx" ] || return 0
	for p in $IMPORTED_PRECISIONS; do
		if ! flags=$(imp_flags selftest "$p"); then
			echo "{\"kind\": \"infertop-selftest\", \"model\": \"$m\", \"precision\": \"$p\", \"skipped\": \"this build's selftest has no --precision\"}" >>"$IMP"
			continue
		fi
		# shellcheck disable=SC2086 # flags and IMP_DIM are lists of flags
		JSON_TO=$IMP JSON_TAGS="{\"kind\": \"infertop-selftest\", \"model\": \"$m\", \"precision\": \"$p\", \"batch\": $IMP_ERR_BATCH}" \
			run_json "imported selftest $m $p" 60 "$GPU_BIN" selftest --device cuda:0 --presets none \
			--model "$IMP_DIR/$m.onnx" $IMP_DIM --batches "$IMP_ERR_BATCH" $flags
	done
}
if [ "$IMPORTED_SHARE" -gt 0 ]; then
	log "[$(elapsed)s] imported: $(left)s of the budget left for step 7"
	run export-imported 120 "$IMP_LOG" "$PY" "$EXPORT_PY" "$IMP_DIR"
	for m in $IMPORTED_MODELS; do
		imp_bench "${IMP_BATCH_LIST[0]}" "$m"
	done
	for m in $IMPORTED_MODELS; do
		imp_errors "$m"
	done
	for b in "${IMP_BATCH_LIST[@]:1}"; do
		for m in $IMPORTED_MODELS; do
			imp_bench "$b" "$m"
		done
	done
fi

# The GPU's state after the load (clocks, temperature, power), beside the first reading.
{ echo; echo "\$ (after the benchmarks) nvidia-smi --query-gpu=... --format=csv"; } >>"$SMI"
timeout 15 nvidia-smi --query-gpu="$SMI_QUERY" --format=csv >>"$SMI" 2>&1

log ""
log "== samples/s, infertop vs PyTorch (ratio = infertop / PyTorch; end_to_end+pinned is like for like, plain end_to_end is PyTorch from pageable memory)"
"$PY" "$REPORT_PY" ratios "$OUTDIR/bench.jsonl" "$TJ" 2>&1 | tee -a "$SUMMARY"
if [ "$IMPORTED_SHARE" -gt 0 ]; then
	log ""
	"$PY" "$REPORT_PY" imported "$IMP" 2>&1 | tee -a "$SUMMARY"
fi
log "done in $(elapsed)s; files: $(cd "$OUTDIR" && ls | tr '\n' ' ')"
exit 0
