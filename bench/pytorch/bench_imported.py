#!/usr/bin/env python3
"""Measures PyTorch eager on export_imported.py's models in fp32, tf32, fp16 and bf16.

    bench_imported.py [--model all|NAME,...] [--precision fp32,tf32,fp16,bf16] [--batch 32,128]
                      [--device cuda:0|cpu] [--seq 128] [--seed 0] [--warmup S] [--duration S]

The modules are export_imported.build(NAME, seed): the same weights as the
ONNX files export_imported.py writes with that seed. For each model x
precision x batch, one JSON line:

  {"source": "pytorch", "model", "precision", "batch", "device", "samples_per_sec",
   "p50_ms", "p99_ms", "batches", "rel_err_vs_fp32", "max_rel_err_vs_fp32", "settings", ...}

The precisions, as PyTorch eager computes them:
  fp32  float32 module, TF32 off for matmuls and cuDNN (allow_tf32 = False)
  tf32  float32 module, TF32 on for matmuls and cuDNN (allow_tf32 = True)
  fp16  module.half(); the float32 input cast to half on the device, the output cast back to float32
  bf16  module.bfloat16(); likewise with bfloat16
(a cast of the whole module, not autocast: every layer, LayerNorm and softmax
included, runs in the reduced type; "settings" records the flags in force).

Timing, as infertop measures end to end: on CUDA each batch copies a float32
input from page-locked host memory to the device, runs the model and copies
the float32 output into a page-locked host buffer, then torch.cuda.synchronize();
time.perf_counter around the whole. A warm-up of at least --warmup seconds and
3 batches is thrown away; then batches run back to back for at least
--duration seconds and 3 batches. samples/s = samples over the timed wall time.

Error: on one seeded input of the batch, the output of each precision against
the same module's fp32 output (TF32 off) on that input: rel_err_vs_fp32 is
‖a − b‖ / ‖b‖ over the whole output, max_rel_err_vs_fp32 is
max|a − b| / max|b| (the measure infertop's selftest prints).

On the CPU (for trying the script without a GPU) there are no host copies and
no TF32: tf32 is skipped, and a precision whose kernels this PyTorch lacks on
the CPU (half convolutions in 1.13, for one) is reported with "skipped" and
the reason. Every failed cell is reported and the others still run; the exit
code is 1 when a cell failed (a skipped one is no failure), else 0.
"""

import argparse
import copy
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

PRECISIONS = ("fp32", "tf32", "fp16", "bf16")
HALF_MODE = "module cast (module.half() / module.bfloat16()); float32 input cast on the device, output cast back"


def parse_args(argv):
    import export_imported
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[1:]))
    ap.add_argument("--model", default="all",
                    help="comma-separated models, or 'all' (default): " + ", ".join(export_imported.MODELS))
    ap.add_argument("--precision", default=",".join(PRECISIONS),
                    help="comma-separated precisions (default %s)" % ",".join(PRECISIONS))
    ap.add_argument("--batch", "--batches", dest="batch", default="32",
                    help="comma-separated batch sizes (default 32)")
    ap.add_argument("--device", default="cuda:0", help="cuda, cuda:N or cpu (default cuda:0)")
    ap.add_argument("--seq", type=int, default=export_imported.SEQ,
                    help="the encoder's sequence length (default %d)" % export_imported.SEQ)
    ap.add_argument("--seed", type=int, default=0, help="seed of the weights, as export_imported.py --seed (default 0)")
    ap.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds, at least 3 batches (default 1)")
    ap.add_argument("--duration", type=float, default=2.0, help="timed seconds, at least 3 batches (default 2)")
    args = ap.parse_args(argv)
    try:
        args.models = export_imported.parse_models(args.model)
    except ValueError as e:
        ap.error("--model: %s" % e)
    args.precisions = [p.strip().lower() for p in args.precision.split(",") if p.strip()]
    bad = [p for p in args.precisions if p not in PRECISIONS]
    if bad or not args.precisions:
        ap.error("--precision: %s is not one of %s" % (", ".join(map(repr, bad)) or "''", ", ".join(PRECISIONS)))
    try:
        args.batches = [int(b) for b in args.batch.split(",") if b.strip()]
    except ValueError:
        ap.error("--batch %r: want comma-separated integers such as 32,128" % args.batch)
    if not args.batches or any(b <= 0 for b in args.batches):
        ap.error("--batch %r: batch sizes must be positive" % args.batch)
    if args.seq <= 0:
        ap.error("--seq %d: want a positive length" % args.seq)
    if args.warmup < 0 or args.duration <= 0:
        ap.error("--warmup must be >= 0 and --duration > 0")
    if not (args.device == "cpu" or args.device == "cuda" or args.device.startswith("cuda:")):
        ap.error("--device %r: want cpu, cuda or cuda:N" % args.device)
    return args


def dtype_of(torch, precision):
    return {"fp16": torch.float16, "bf16": torch.bfloat16}.get(precision, torch.float32)


def set_precision(torch, bench, precision, cuda):
    """TF32 on for tf32, off otherwise; returns the settings in force, for the record."""
    if not cuda:
        return {}
    done = bench.set_tf32(torch, precision == "tf32")
    matmul = torch.backends.cuda.matmul
    for name in ("allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction"):
        try:
            done["cuda.matmul." + name] = getattr(matmul, name)
        except Exception:  # an older PyTorch without the setting
            pass
    done["cudnn.benchmark"] = bool(torch.backends.cudnn.benchmark)
    return done


def rel_errors(got, want):
    """‖got − want‖ / ‖want‖ and max|got − want| / max|want|, in float64."""
    a, b = got.detach().double().cpu(), want.detach().double().cpu()
    d = a - b
    norm, peak = b.norm().item(), b.abs().max().item()
    return (d.norm().item() / norm if norm else float("nan"),
            d.abs().max().item() / peak if peak else float("nan"))


def time_cell(torch, module, x_cpu, dtype, device, warmup, duration, percentile):
    """End-to-end timing of module on x_cpu (float32) computed in dtype; returns the timing fields."""
    cuda = device.type == "cuda"
    if cuda:
        x_host = x_cpu.pin_memory()
        with torch.inference_mode():
            shape = module(x_host.to(device).to(dtype)).shape
        y_host = torch.empty(shape, dtype=torch.float32).pin_memory()
    else:
        x_host, y_host = x_cpu, None

    def step():
        if not cuda:
            return module(x_host.to(dtype))
        x = x_host.to(device, non_blocking=True).to(dtype)
        y_host.copy_(module(x).float(), non_blocking=True)
        torch.cuda.synchronize(device)
        return y_host

    clock = time.perf_counter
    with torch.inference_mode():
        warm_n, t0 = 0, clock()
        while warm_n < 3 or clock() - t0 < warmup:
            step()
            warm_n += 1
        lat, start = [], clock()
        end = start
        while len(lat) < 3 or end - start < duration:
            b0 = clock()
            step()
            end = clock()
            lat.append(end - b0)
    wall = end - start
    ms = sorted(v * 1e3 for v in lat)
    batch = x_cpu.shape[0]
    return {"samples_per_sec": batch * len(ms) / wall, "p50_ms": percentile(ms, 50), "p90_ms": percentile(ms, 90),
            "p99_ms": percentile(ms, 99), "max_ms": ms[-1], "mean_ms": sum(ms) / len(ms), "batches": len(ms),
            "wall_s": wall, "warmup_batches": warm_n}


def run_model(torch, bench, export_imported, name, args, device, base, out):
    """Every precision x batch of one model; returns the number of failed cells."""
    cuda = device.type == "cuda"
    failed = 0
    module32 = export_imported.build(name, args.seed)
    for p in module32.parameters():
        p.requires_grad_(False)
    shape = export_imported.input_shape(name, args.seq)
    gen = torch.Generator().manual_seed(args.seed)
    inputs = {b: torch.rand((b,) + shape, generator=gen) * 2 - 1 for b in args.batches}
    # The fp32 outputs (TF32 off) every precision is compared with.
    set_precision(torch, bench, "fp32", cuda)
    ref_module = module32.to(device)
    with torch.inference_mode():
        want = {b: ref_module(x.to(device)).float().cpu() for b, x in inputs.items()}
    for precision in args.precisions:
        module = None
        for batch in args.batches:
            rec = dict(base, source="pytorch", model=name, precision=precision, batch=batch, device=str(device),
                       mode="end_to_end", pinned=cuda, input_shape=[batch] + list(shape))
            if name == "bert_encoder":
                rec["seq"] = args.seq
            if precision in ("fp16", "bf16"):
                rec["half_mode"] = HALF_MODE
            if precision == "tf32" and not cuda:
                rec["skipped"] = "tf32 is a CUDA setting (tensor cores); the CPU computes float32"
                out(rec)
                continue
            try:
                rec["settings"] = set_precision(torch, bench, precision, cuda)
                dtype = dtype_of(torch, precision)
                if module is None:
                    module = ref_module if dtype == torch.float32 else copy.deepcopy(ref_module).to(dtype=dtype)
                x = inputs[batch]
                with torch.inference_mode():
                    got = module(x.to(device).to(dtype)).float().cpu()
                rec["rel_err_vs_fp32"], rec["max_rel_err_vs_fp32"] = rel_errors(got, want[batch])
                rec.update(time_cell(torch, module, x, dtype, device, args.warmup, args.duration, bench.percentile))
            except Exception as e:  # one failed cell must not stop the others
                why = "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")
                if not cuda and precision in ("fp16", "bf16"):
                    rec["skipped"] = "this PyTorch cannot run it on the CPU: " + why
                    module = None
                else:
                    rec["error"] = why
                    failed += 1
                if cuda:
                    module = None
                    torch.cuda.empty_cache()
            out(rec)
            if rec.get("skipped") and not cuda:
                break  # the other batches would fail alike
        del module
        if cuda:
            torch.cuda.empty_cache()
    return failed


def main(argv=None):
    args = parse_args(argv)
    import torch
    import bench
    import export_imported

    def out(rec):
        print(json.dumps(rec), flush=True)

    device = torch.device(args.device)
    base = {"torch_version": torch.__version__}
    if device.type == "cuda":
        if not torch.cuda.is_available():
            out(dict(base, source="pytorch", device=args.device, error="CUDA is not available to this PyTorch"))
            return 1
        if device.index is None:
            device = torch.device("cuda", 0)
        torch.cuda.set_device(device)
        base["gpu"] = torch.cuda.get_device_name(device)
    else:
        base["threads"] = torch.get_num_threads()
    failed = 0
    for name in args.models:
        try:
            failed += run_model(torch, bench, export_imported, name, args, device, base, out)
        except Exception as e:  # building the model or its fp32 reference failed: the others still run
            out(dict(base, source="pytorch", model=name, device=str(device),
                     error="%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")))
            failed += 1
            if device.type == "cuda":
                torch.cuda.empty_cache()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
