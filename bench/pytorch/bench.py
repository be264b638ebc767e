#!/usr/bin/env python3
"""Measures PyTorch inference throughput of infertop's presets, the way infertop does.

For each preset x batch: eval(), torch.inference_mode(), float32, a warm-up of at
least --warmup seconds and 3 batches that is thrown away, then batches back to back
for at least --duration seconds (and at least 3 batches). Each batch's latency is
taken with time.perf_counter after the result is on the host (end-to-end, default)
or after torch.cuda.synchronize() (--resident). Throughput counts samples over the
wall time of the timed part.

On CUDA: TF32 is switched off for matmuls and cuDNN (infertop computes in full
float32); "fp32_settings" records how. End-to-end latency includes the host-to-device copy of the input
(x_cpu.to(device)) and the device-to-host copy of the output (y.cpu(), which also
synchronizes), like infertop's end-to-end latency. --pinned uses page-locked host
buffers for both copies (infertop's CUDA engine uses pinned host memory).

Prints one JSON object per line:
  {"preset","device","batch","threads","samples_per_sec","p50_ms","p99_ms",
   "batches","torch_version", ...}

--threads N sets torch.set_num_threads(N) and, before torch is imported,
OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS; "threads_set" says
which were set. --threads 0 means all the cores this process may run on
(sched_getaffinity), set the same way: left alone, some builds start with a
single OpenMP thread.

--omp-threads N and --blas-threads M set PyTorch's two thread pools apart
(OpenMP, which torch.set_num_threads also sets, and OpenBLAS/MKL), for finding
PyTorch's best setting; 0 means all usable cores. Each overrides --threads for
its pool.

--sgemm N instead measures C = A @ B for N x N float32 matrices with torch.mm and,
when libopenblas.so.0 loads, with OpenBLAS's cblas_sgemm called directly, and
prints their GFLOP/s.

--jitter N measures the machine's own timing noise: the same 1-thread OpenBLAS
N x N sgemm, repeated for --duration seconds, timed call by call; it prints the
p50, p99 and p99/p50 of one call. No model on this machine can have a steadier
latency than the same arithmetic repeated, so this is the floor a tail-latency
figure is judged against.
"""

import argparse
import ctypes
import ctypes.util
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[1:]))
    ap.add_argument("--preset", default="mlp",
                    help="comma-separated presets, or 'all' (default mlp)")
    ap.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    ap.add_argument("--batch", default="1,32,256", help="comma-separated batch sizes (default 1,32,256)")
    ap.add_argument("--threads", type=int, default=0,
                    help="intra-op threads; 0 = all the cores this process may use")
    ap.add_argument("--omp-threads", type=int, default=None, metavar="N",
                    help="OpenMP (intra-op) threads, overriding --threads; 0 = all usable cores")
    ap.add_argument("--blas-threads", type=int, default=None, metavar="N",
                    help="OpenBLAS/MKL threads, overriding --threads; 0 = all usable cores")
    ap.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds, at least 3 batches (default 1)")
    ap.add_argument("--duration", type=float, default=5.0, help="timed seconds, at least 3 batches (default 5)")
    ap.add_argument("--resident", action="store_true",
                    help="CUDA only: input already on the device, output stays there; synchronize each batch")
    ap.add_argument("--pinned", action="store_true",
                    help="CUDA end-to-end only: page-locked host input and output buffers")
    ap.add_argument("--tf32", action="store_true",
                    help="CUDA: allow TF32 for matmuls and cuDNN convolutions (as infertop bench --tf32); "
                         "default full float32")
    ap.add_argument("--seed", type=int, default=0, help="seed for weights and input (default 0)")
    ap.add_argument("--sgemm", type=int, default=0, metavar="N",
                    help="measure N x N sgemm GFLOP/s instead of presets")
    ap.add_argument("--jitter", type=int, default=0, metavar="N",
                    help="measure the per-call latency spread of a 1-thread N x N OpenBLAS sgemm instead")
    ap.add_argument("--compile", action="store_true",
                    help="PyTorch 2.x: run the model through torch.compile (off by default)")
    args = ap.parse_args(argv)
    if args.threads < 0 or (args.omp_threads or 0) < 0 or (args.blas_threads or 0) < 0:
        ap.error("--threads, --omp-threads and --blas-threads must be >= 0")
    if args.warmup < 0 or args.duration <= 0:
        ap.error("--warmup must be >= 0 and --duration > 0")
    try:
        args.batches = [int(b) for b in args.batch.split(",") if b.strip()]
    except ValueError:
        ap.error("--batch must be a comma-separated list of integers")
    if not args.batches or any(b <= 0 for b in args.batches):
        ap.error("--batch sizes must be positive")
    if (args.resident or args.pinned) and not args.device.startswith("cuda"):
        ap.error("--resident and --pinned apply to CUDA devices only")
    if args.resident and args.pinned:
        ap.error("--resident makes no host copies; --pinned does not apply")
    return args


def usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def set_thread_env(omp, blas):
    """Sets the thread environment before torch loads its libraries."""
    names = []
    for var, n in (("OMP_NUM_THREADS", omp), ("OPENBLAS_NUM_THREADS", blas), ("MKL_NUM_THREADS", blas)):
        if n > 0:
            os.environ[var] = str(n)
            names.append("%s=%d" % (var, n))
    return names


def percentile(sorted_vals, q):
    """Nearest-rank percentile of an ascending list (an element of the list)."""
    if not sorted_vals:
        return float("nan")
    k = max(0, min(len(sorted_vals) - 1, int(-(-q * len(sorted_vals) // 100)) - 1))
    return sorted_vals[k]


def run_cell(torch, models, preset, batch, args, device):
    torch.manual_seed(args.seed)
    model = models.build(preset).to(device=device, dtype=torch.float32).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    if args.compile:
        model = torch.compile(model)
    shape = (batch,) + models.INPUT_SHAPES[preset]
    x_cpu = torch.rand(shape, dtype=torch.float32) * 2 - 1
    cuda = device.type == "cuda"
    out_host = None
    if cuda and args.pinned:
        x_cpu = x_cpu.pin_memory()
        with torch.inference_mode():
            out_shape = model(x_cpu.to(device)).shape
        out_host = torch.empty(out_shape, dtype=torch.float32).pin_memory()
    x_dev = x_cpu.to(device) if (cuda and args.resident) else None

    def step():
        if not cuda:
            return model(x_cpu)
        if args.resident:
            y = model(x_dev)
            torch.cuda.synchronize(device)
            return y
        y = model(x_cpu.to(device))
        if out_host is not None:
            out_host.copy_(y)  # blocking copy into the pinned buffer: synchronizes
            return out_host
        return y.cpu()  # device-to-host copy; synchronizes

    clock = time.perf_counter
    with torch.inference_mode():
        # Warm-up: allocator, cuDNN/cuBLAS handles, caches; thrown away.
        warm_n, t0 = 0, clock()
        while warm_n < 3 or clock() - t0 < args.warmup:
            step()
            warm_n += 1
        lat = []
        start = clock()
        end = start
        while len(lat) < 3 or end - start < args.duration:
            b0 = clock()
            step()
            end = clock()
            lat.append(end - b0)
    wall = end - start
    lat.sort()
    ms = [v * 1e3 for v in lat]
    return {
        "samples_per_sec": batch * len(lat) / wall,
        "p50_ms": percentile(ms, 50),
        "p90_ms": percentile(ms, 90),
        "p99_ms": percentile(ms, 99),
        "max_ms": ms[-1],
        "mean_ms": sum(ms) / len(ms),
        "batches": len(lat),
        "wall_s": wall,
        "warmup_batches": warm_n,
    }


def openblas():
    """OpenBLAS through ctypes, or None; with the library name."""
    for name in ("libopenblas.so.0", ctypes.util.find_library("openblas")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            lib.cblas_sgemm  # noqa: B018 - raises AttributeError when absent
            return lib, name
        except (OSError, AttributeError):
            pass
    return None, None


def jitter(torch, n, seconds):
    """Per-call latency spread of the same 1-thread n x n sgemm, repeated."""
    lib, name = openblas()
    if lib is None:
        return {"error": "libopenblas.so.0 not found"}
    if hasattr(lib, "openblas_set_num_threads"):
        lib.openblas_set_num_threads(ctypes.c_int(1))
    a, b, c = torch.rand(n, n), torch.rand(n, n), torch.empty(n, n)
    f = ctypes.c_float
    pa, pb, pc = (ctypes.c_void_p(t.data_ptr()) for t in (a, b, c))
    clock = time.perf_counter
    for _ in range(5):
        lib.cblas_sgemm(101, 111, 111, n, n, n, f(1.0), pa, n, pb, n, f(0.0), pc, n)
    lat, start = [], clock()
    while len(lat) < 20 or clock() - start < seconds:
        t = clock()
        lib.cblas_sgemm(101, 111, 111, n, n, n, f(1.0), pa, n, pb, n, f(0.0), pc, n)
        lat.append(clock() - t)
    ms = sorted(v * 1e3 for v in lat)
    p50, p99 = percentile(ms, 50), percentile(ms, 99)
    return {"openblas": name, "calls": len(ms), "p50_ms": p50, "p99_ms": p99, "p99_over_p50": p99 / p50,
            "gflops_p50": 2.0 * n ** 3 / (p50 / 1e3) / 1e9}


def sgemm(torch, n, threads):
    """GFLOP/s of an n x n float32 matrix product: torch.mm and, if present, OpenBLAS."""
    out = {}
    a = torch.rand(n, n)
    b = torch.rand(n, n)
    c = torch.empty(n, n)
    flops = 2.0 * n * n * n

    def timeit(fn):
        for _ in range(3):
            fn()
        reps, best = 0, float("inf")
        t_end = time.perf_counter() + 1.0
        while reps < 5 or time.perf_counter() < t_end:
            t = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t)
            reps += 1
        return flops / best / 1e9

    out["torch_mm_gflops"] = timeit(lambda: torch.mm(a, b, out=c))
    lib, name = openblas()
    if lib is not None:
        out["openblas"] = name
        if threads > 0 and hasattr(lib, "openblas_set_num_threads"):
            lib.openblas_set_num_threads(ctypes.c_int(threads))
        f = ctypes.c_float
        pa, pb, pc = (ctypes.c_void_p(t.data_ptr()) for t in (a, b, c))
        row_major, no_trans = 101, 111

        def call():
            lib.cblas_sgemm(row_major, no_trans, no_trans, n, n, n, f(1.0), pa, n, pb, n, f(0.0), pc, n)

        out["openblas_gflops"] = timeit(call)
    return out


def set_tf32(torch, on=False):
    """Switches TF32 off (on) for CUDA matmuls and cuDNN convolutions: full float32, as infertop
    computes by default (TF32 tensor cores, as infertop bench --tf32 allows). PyTorch 2.9 added
    fp32_precision settings and deprecated allow_tf32 (mixing the two may be refused), so the
    new settings are used where they exist. Returns what was set, for the record."""
    precision = "tf32" if on else "ieee"
    def has(obj, name):  # torch.backends.cuda.matmul raises AssertionError for unknown names
        try:
            getattr(obj, name)
            return True
        except Exception:
            return False

    done = {}
    matmul = torch.backends.cuda.matmul
    conv = getattr(torch.backends.cudnn, "conv", None) if has(torch.backends.cudnn, "conv") else None
    if has(matmul, "fp32_precision"):
        matmul.fp32_precision = precision
        done["cuda.matmul.fp32_precision"] = matmul.fp32_precision
        if conv is not None and has(conv, "fp32_precision"):
            conv.fp32_precision = precision
            done["cudnn.conv.fp32_precision"] = conv.fp32_precision
        else:
            torch.backends.cudnn.allow_tf32 = on
            done["cudnn.allow_tf32"] = on
    else:
        matmul.allow_tf32 = on
        torch.backends.cudnn.allow_tf32 = on
        done["cuda.matmul.allow_tf32"] = matmul.allow_tf32
        done["cudnn.allow_tf32"] = torch.backends.cudnn.allow_tf32
    return done


def loaded_blas(torch):
    """The BLAS libraries this process has mapped after a small product (Linux only):
    Debian's torch calls whatever libblas.so.3 the system alternative points at."""
    torch.mm(torch.ones(8, 8), torch.ones(8, 8))
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                name = os.path.basename(path).lower()
                if any(k in name for k in ("blas", "mkl", "dnnl")):
                    libs.add(path)
    except OSError:
        return None
    return sorted(libs)


def main(argv=None):
    args = parse_args(argv)
    if args.jitter:
        args.threads = 1
    requested = args.threads
    if args.threads == 0:
        args.threads = usable_cores()
    omp = args.threads if args.omp_threads is None else (args.omp_threads or usable_cores())
    blas = args.threads if args.blas_threads is None else (args.blas_threads or usable_cores())
    threads_set = set_thread_env(omp, blas)
    import torch  # after the thread environment is set
    sys.path.insert(0, HERE)
    import models

    torch.set_num_threads(omp)
    threads_set.append("torch.set_num_threads(%d)" % omp)
    base = {"torch_version": torch.__version__, "threads": torch.get_num_threads(),
            "threads_requested": requested, "omp_threads": omp, "blas_threads": blas,
            "threads_set": threads_set, "blas": loaded_blas(torch)}

    if args.jitter:
        rec = dict(base, kind="jitter", n=args.jitter, device="cpu", seconds=args.duration)
        rec.update(jitter(torch, args.jitter, args.duration))
        print(json.dumps(rec), flush=True)
        return 0

    if args.sgemm:
        rec = dict(base, kind="sgemm", n=args.sgemm, device="cpu")
        rec.update(sgemm(torch, args.sgemm, args.threads))
        print(json.dumps(rec), flush=True)
        return 0

    device = torch.device(args.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            print(json.dumps(dict(base, device=args.device, error="CUDA is not available to this PyTorch")),
                  flush=True)
            return 1
        base["fp32_settings"] = set_tf32(torch, args.tf32)
        if device.index is None:
            device = torch.device("cuda", 0)
        torch.cuda.set_device(device)
        base["gpu"] = torch.cuda.get_device_name(device)
        base["tf32"] = bool(args.tf32)
        base["cudnn_benchmark"] = bool(torch.backends.cudnn.benchmark)
    mode = "resident" if args.resident else "end_to_end"
    presets = models.PRESETS if args.preset == "all" else [p.strip() for p in args.preset.split(",") if p.strip()]
    rc = 0
    for preset in presets:
        for batch in args.batches:
            rec = dict(base, preset=preset, device=args.device, batch=batch, mode=mode)
            if device.type == "cuda" and not args.resident:
                rec["pinned"] = args.pinned
            try:
                if preset not in models.INPUT_SHAPES:
                    raise ValueError("unknown preset %r (valid: %s)" % (preset, ", ".join(models.PRESETS)))
                rec.update(run_cell(torch, models, preset, batch, args, device))
            except Exception as e:  # one failed cell must not stop the others
                rec["error"] = "%s: %s" % (type(e).__name__, e)
                rc = 1
                if device.type == "cuda":
                    torch.cuda.empty_cache()
            print(json.dumps(rec), flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
