#!/usr/bin/env python3
"""Small reports for scripts/gpu-verify.sh (standard library only).

  gpu_report.py smi-compare SMI_CSV DEVICES_JSON
      nvidia-smi --query-gpu=... --format=csv beside `infertop devices --format json`,
      field by field, with the difference where both are numbers.
  gpu_report.py ratios INFERTOP_JSONL TORCH_JSONL
      infertop bench rows beside bench.py rows for the same preset, batch and mode,
      with the ratio infertop/PyTorch of samples/s.
  gpu_report.py torch-table TORCH_JSONL
      bench.py records as a markdown table (preset x batch; a column per device/threads/mode).
  gpu_report.py imported IMPORTED_JSONL
      the imported models of gpu-verify.sh's step 7 per model x precision x batch: infertop and
      PyTorch samples/s and their ratio, infertop's error against its CPU engine (selftest) and
      PyTorch's against its own fp32 output (bench_imported.py).

The JSONL files hold one JSON object per line: bench.py's records, or infertop bench
output ({"meta":..,"rows":[..]}) either bare or wrapped as {"result": {...}}.
"""

import csv
import json
import re
import sys

MIB = 1024.0 * 1024.0

# nvidia-smi field -> (infertop JSON key, scale applied to the JSON value, unit)
SMI_FIELDS = {
    "index": ("index", None, ""),
    "pci.bus_id": ("pci_bus_id", None, ""),
    "name": ("name", None, ""),
    "uuid": ("uuid", None, ""),
    "memory.total": ("memory_total_bytes", 1 / MIB, "MiB"),
    "memory.used": ("memory_used_bytes", 1 / MIB, "MiB"),
    "memory.free": ("memory_free_bytes", 1 / MIB, "MiB"),
    "utilization.gpu": ("utilization_gpu_percent", 1, "%"),
    "utilization.memory": ("utilization_memory_percent", 1, "%"),
    "temperature.gpu": ("temperature_gpu_celsius", 1, "C"),
    "power.draw": ("power_draw_watts", 1, "W"),
    "power.limit": ("power_limit_watts", 1, "W"),
    "clocks.sm": ("clocks_sm_mhz", 1, "MHz"),
    "clocks.max.sm": ("clocks_max_sm_mhz", 1, "MHz"),
    "clocks.mem": ("clocks_mem_mhz", 1, "MHz"),
    "clocks.max.mem": ("clocks_max_mem_mhz", 1, "MHz"),
    "driver_version": ("driver_version", None, ""),
}
# nvidia-smi writes some headers under their long names.
SMI_FIELDS["clocks.current.sm"] = SMI_FIELDS["clocks.sm"]
SMI_FIELDS["clocks.current.memory"] = SMI_FIELDS["clocks.mem"]
SMI_FIELDS["clocks.max.memory"] = SMI_FIELDS["clocks.max.mem"]


def _num(s):
    try:
        return float(str(s).split()[0])
    except (ValueError, IndexError):
        return None


def read_smi_csv(path):
    """Rows of nvidia-smi's CSV keyed by bare field name ("memory.total [MiB]" -> "memory.total")."""
    rows = []
    with open(path, newline="") as f:
        lines = [ln for ln in f if ln.strip()]
    # The file may hold other text; start at the CSV header.
    start = next((i for i, ln in enumerate(lines) if ln.startswith("index,")), None)
    if start is None:
        return rows
    for rec in csv.DictReader(lines[start:], skipinitialspace=True):
        if rec.get("index") is None or not str(rec.get("index")).strip().isdigit():
            break
        rows.append({k.split(" [")[0].strip(): (v or "").strip() for k, v in rec.items() if k})
    return rows


def _find_gpus(doc, top=None):
    """Finds the list of GPU objects (dicts with "uuid") and a dict holding driver_version."""
    if isinstance(doc, dict):
        if isinstance(doc.get("gpus"), list):
            return doc["gpus"], doc
        for v in doc.values():
            g, t = _find_gpus(v, doc)
            if g:
                return g, t
    if isinstance(doc, list) and doc and all(isinstance(x, dict) and "uuid" in x for x in doc):
        return doc, top or {}
    if isinstance(doc, list):
        for v in doc:
            g, t = _find_gpus(v, top)
            if g:
                return g, t
    return [], {}


def smi_compare(smi_path, devices_path, out=sys.stdout):
    smi = read_smi_csv(smi_path)
    try:
        with open(devices_path) as f:
            text = f.read()
        doc = json.loads(text[text.index("{"):] if "{" in text else text)
    except (OSError, ValueError) as e:
        print("infertop devices JSON unreadable: %s" % e, file=out)
        doc = {}
    gpus, top = _find_gpus(doc)
    if not smi:
        print("no nvidia-smi CSV rows in %s" % smi_path, file=out)
    if not gpus:
        print("no GPUs in infertop devices JSON %s" % devices_path, file=out)
    mismatches = 0
    for row in smi:
        g = next((x for x in gpus if x.get("uuid") == row.get("uuid")), None)
        if g is None:
            idx = _num(row.get("index"))
            g = next((x for x in gpus if x.get("index") == idx), None)
        print("GPU %s %s" % (row.get("index"), row.get("uuid")), file=out)
        print("  %-22s %-28s %-28s %s" % ("field", "nvidia-smi", "infertop", "difference"), file=out)
        for field, smival in row.items():
            key, scale, unit = SMI_FIELDS.get(field, (field.replace(".", "_"), None, ""))
            jv = (g or {}).get(key)
            if jv is None and key == "driver_version" and g is not None:
                jv = top.get(key) or (top.get("nvml") or {}).get(key)
            diff = ""
            if jv is None:
                shown = "(missing)"
            elif scale is None:
                shown = str(jv)
                same = str(jv).strip().lower() == smival.strip().lower()
                if key == "index":
                    same = _num(smival) == _num(jv)
                diff = "same" if same else "DIFFERENT"
                mismatches += 0 if same else 1
            else:
                v = float(jv) * scale
                shown = "%.1f %s" % (v, unit)
                s = _num(smival)
                diff = "%+.1f %s" % (v - s, unit) if s is not None else "(nvidia-smi: no number)"
            print("  %-22s %-28s %-28s %s" % (field, smival, shown, diff), file=out)
        if g:
            extra = sorted(k for k in g if k not in {v[0] for v in SMI_FIELDS.values()})
            print("  infertop-only fields: %s" % ", ".join(extra), file=out)
            for k in ("memory_reserved_bytes", "notes", "error"):
                if g.get(k) not in (None, "", []):
                    print("  %s: %s" % (k, g[k]), file=out)
    print("text fields that differ: %d (numbers differ in time: readings are moments apart)" % mismatches,
          file=out)
    return 0


def _records(path):
    """Yields (source, record) from a JSONL file of bench.py lines or infertop bench documents."""
    try:
        f = open(path)
    except OSError:
        return
    with f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                d = json.loads(line)
            except ValueError:
                continue
            resident = "--resident" in (d.get("cmd") or [])
            if isinstance(d.get("result"), dict):
                d = d["result"]
            if isinstance(d.get("rows"), list):
                meta = d.get("meta") or {}
                resident = resident or bool(meta.get("resident") or (meta.get("options") or {}).get("resident"))
                tf32 = bool((meta.get("options") or {}).get("tf32"))
                for r in d["rows"]:
                    if isinstance(r, dict):
                        r = dict(r)
                        r.setdefault("mode", "resident" if resident or r.get("resident") else "end_to_end")
                        r.setdefault("tf32", tf32)
                        # infertop rows name their model "model" (older ones "preset").
                        r.setdefault("preset", r.get("model"))
                        yield "infertop", r
            elif "samples_per_sec" in d or "error" in d:
                yield "torch", d


def _key(r):
    dev = str(r.get("device", ""))
    dev = "cuda:0" if dev == "cuda" else dev
    mode = r.get("mode") or "end_to_end"
    if r.get("tf32"):
        mode += "+tf32"
    if r.get("pinned"):
        mode += "+pinned"
    return (r.get("preset"), dev, int(r.get("batch", 0)), mode)


def ratios(infertop_path, torch_path, out=sys.stdout, fmt="table"):
    ours = {}
    for _, r in _records(infertop_path):
        ours[_key(r)] = r
    theirs = {}
    for _, r in _records(torch_path):
        theirs[_key(r)] = r
    keys = sorted(set(ours) | set(theirs), key=lambda k: (k[1], k[3], str(k[0]), k[2]))
    rows = []
    for k in keys:
        a, b = ours.get(k, {}), theirs.get(k, {})
        if not a and k[3].endswith("+pinned"):
            a = ours.get(k[:3] + (k[3][: -len("+pinned")],), {})
        sa, sb = a.get("samples_per_sec"), b.get("samples_per_sec")
        ratio = sa / sb if sa and sb else None
        pa = (a.get("latency_ms") or {}).get("p50") if isinstance(a.get("latency_ms"), dict) else None
        en = a.get("energy") if isinstance(a.get("energy"), dict) else {}
        mj = 1000 * en["joules_per_sample"] if en.get("valid") and en.get("joules_per_sample") else None
        rows.append({
            "preset": k[0], "device": k[1], "batch": k[2], "mode": k[3],
            "infertop_samples_per_sec": sa, "torch_samples_per_sec": sb, "ratio": ratio,
            "infertop_p50_ms": pa, "torch_p50_ms": b.get("p50_ms"), "infertop_mj_per_sample": mj,
            "note": "; ".join(str(x) for x in (a.get("error"), b.get("error")) if x),
            "plan": a.get("plan") or "",
        })
    if fmt == "json":
        for r in rows:
            print(json.dumps(r), file=out)
        return 0

    def f(v, spec):
        return spec % v if isinstance(v, (int, float)) else "-"

    print("%-12s %-7s %6s %-24s %14s %14s %8s %10s %10s %12s  %s" % (
        "preset", "device", "batch", "mode", "infertop/s", "pytorch/s", "ratio", "it p50ms", "pt p50ms",
        "it mJ/sample", "note"), file=out)
    for r in rows:
        print("%-12s %-7s %6d %-24s %14s %14s %8s %10s %10s %12s  %s" % (
            r["preset"], r["device"], r["batch"], r["mode"],
            f(r["infertop_samples_per_sec"], "%.1f"), f(r["torch_samples_per_sec"], "%.1f"),
            f(r["ratio"], "%.3f"), f(r["infertop_p50_ms"], "%.3f"), f(r["torch_p50_ms"], "%.3f"),
            f(r["infertop_mj_per_sample"], "%.4g"), r["note"][:60]), file=out)
    # The "+pinned" rows compare the same infertop run again: one line each.
    plans = sorted({(r["preset"], r["device"], r["batch"], r["mode"].replace("+pinned", ""), r["plan"])
                    for r in rows if r["plan"]}, key=lambda p: (p[1], p[3], str(p[0]), p[2]))
    if plans:
        print("how infertop computed each batch (its plan line):", file=out)
        for p in plans:
            print("  %s %s batch %d %s: %s" % p, file=out)
    return 0


def torch_table(path, out=sys.stdout):
    """bench.py records as a markdown table: one row per preset x batch, a column
    pair (samples/s, p50 ms) per device/threads/mode seen in the file."""
    recs = [r for _, r in _records(path) if "preset" in r]
    cols, cells = [], {}
    for r in recs:
        col = "%s %s%s%s" % (r.get("device"), "all" if r.get("threads_requested") == 0 else r.get("threads"),
                             " thr" if str(r.get("device")) == "cpu" else "",
                             "" if r.get("mode", "end_to_end") == "end_to_end" else " " + r["mode"])
        if r.get("pinned"):
            col += " pinned"
        if col not in cols:
            cols.append(col)
        cells[(r["preset"], int(r["batch"]), col)] = r
    rows = sorted({(k[0], k[1]) for k in cells}, key=lambda k: (PRESET_ORDER.get(k[0], 99), k[0], k[1]))
    print("| preset | batch | " + " | ".join("%s: samples/s | p50 ms" % c for c in cols) + " |", file=out)
    print("|---|--:|" + "--:|--:|" * len(cols), file=out)
    for pr, b in rows:
        parts = []
        for c in cols:
            r = cells.get((pr, b, c), {})
            if r.get("error"):
                parts += ["error", "-"]
            elif r:
                parts += [_readable(r["samples_per_sec"]), _readable(r["p50_ms"])]
            else:
                parts += ["-", "-"]
        print("| %s | %d | %s |" % (pr, b, " | ".join(parts)), file=out)
    return 0


def _readable(v):
    """About three significant digits without exponents: 15,300,000 · 812 · 22.7 · 0.0098."""
    if v >= 100:
        return "{:,.0f}".format(v)
    if v >= 10:
        return "%.1f" % v
    if v >= 1:
        return "%.2f" % v
    return "%.2g" % v


PRESET_ORDER = {p: i for i, p in enumerate(["linear", "mlp", "lenet5", "resnet", "transformer"])}
IMPORTED_ORDER = {m: i for i, m in enumerate(["resnet50", "mobilenetv2", "bert_encoder"])}
PRECISION_ORDER = {p: i for i, p in enumerate(["fp32", "tf32", "fp16", "bf16"])}


def _lines(path):
    try:
        f = open(path)
    except OSError:
        return
    with f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    yield json.loads(line)
                except ValueError:
                    pass


def _why(d):
    """A failed infertop run's reason: its error field, else stderr's last line."""
    lines = [ln for ln in str(d.get("stderr") or d.get("stdout") or "").splitlines() if ln.strip()]
    return (lines[-1] if lines else "exit %s" % d.get("rc")).strip()


def _infertop_bench(d):
    """The row of an infertop-bench record at its batch: (samples/s, p50 ms, precision as run, note)."""
    res = d.get("result") if isinstance(d.get("result"), dict) else {}
    opts = (res.get("meta") or {}).get("options") or {}
    rows = [r for r in res.get("rows") or [] if isinstance(r, dict)]
    row = next((r for r in rows if r.get("batch") == d.get("batch")), rows[0] if rows else {})
    ran = row.get("precision") or opts.get("precision") or ("tf32" if opts.get("tf32") else ("fp32" if opts else None))
    lat = row.get("latency_ms") if isinstance(row.get("latency_ms"), dict) else {}
    note = d.get("skipped") or row.get("error") or ("" if d.get("rc") == 0 and row else _why(d))
    return row.get("samples_per_sec"), lat.get("p50"), ran, note


def _infertop_selftest(d):
    """What selftest printed for one model: (max rel err, verdict, precision as run, tolerance, note)."""
    text = str(d.get("stdout") or "")
    err = re.search(r"max rel err ([0-9.]+(?:e[-+]?[0-9]+)?)", text)
    verdict = re.search(r"^(PASS|FAIL|REFUSED)\b", text, re.M)
    ran = re.search(r"^selftest \S+ in (\w+) against", text, re.M)
    ran = ran.group(1) if ran else ("tf32" if re.search(r"^selftest \S+ with TF32", text, re.M) else
                                    ("fp32" if re.search(r"^selftest ", text, re.M) else None))
    tol = re.search(r"tolerance ([0-9.]+(?:e[-+]?[0-9]+)?)", text)
    note = d.get("skipped") or ("" if err else _why(d))
    return (float(err.group(1)) if err else None, verdict.group(1) if verdict else None, ran,
            tol.group(1) if tol else None, note)


def imported(path, out=sys.stdout):
    """gpu-verify.sh step 7: infertop vs PyTorch per model x precision x batch, and each precision's error."""
    ours, theirs, errs, torch_meta = {}, {}, {}, {}
    for d in _lines(path):
        kind = d.get("kind") or d.get("source")
        if kind == "infertop-bench":
            ours[(d.get("model"), d.get("precision"), d.get("batch"))] = _infertop_bench(d)
        elif kind == "infertop-selftest":
            errs[(d.get("model"), d.get("precision"))] = _infertop_selftest(d)
        elif kind == "pytorch" and d.get("model"):
            theirs[(d["model"], d.get("precision"), d.get("batch"))] = d
            for k in ("gpu", "torch_version", "half_mode"):
                if d.get(k):
                    torch_meta[k] = d[k]
    keys = sorted(set(ours) | set(theirs), key=lambda k: (
        IMPORTED_ORDER.get(k[0], 99), str(k[0]), k[2] or 0, PRECISION_ORDER.get(k[1], 99), str(k[1])))
    print("== imported models per precision (gpu-verify step 7): samples/s end to end from pinned memory, "
          "ratio = infertop / PyTorch", file=out)
    if not keys:
        print("no records in %s" % path, file=out)
        return 0

    def f(v, spec):
        return spec % v if isinstance(v, (int, float)) else "-"

    print("%-13s %-4s %5s %11s %11s %7s %9s %9s %-4s %11s %11s %11s  %s" % (
        "model", "prec", "batch", "infertop/s", "pytorch/s", "ratio", "it p50ms", "pt p50ms", "ran",
        "it err", "pt err", "pt maxerr", "note"), file=out)
    for k in keys:
        sa, pa, ran, note_a = ours.get(k, (None, None, None, ""))
        t = theirs.get(k, {})
        sb = t.get("samples_per_sec")
        e = errs.get(k[:2], (None, None, None, None, ""))
        notes = [x for x in (note_a, t.get("skipped") or t.get("error")) if x]
        if e[1] == "FAIL" or e[4]:
            notes.append("selftest: " + (e[4] or "FAIL over tolerance %s" % e[3]))
        if ran and k[1] and ran != k[1]:
            notes.append("infertop ran %s" % ran)
        print("%-13s %-4s %5s %11s %11s %7s %9s %9s %-4s %11s %11s %11s  %s" % (
            k[0], k[1], k[2], f(sa, "%.1f"), f(sb, "%.1f"), f(sa / sb if sa and sb else None, "%.3f"),
            f(pa, "%.3f"), f(t.get("p50_ms"), "%.3f"), ran or "-", f(e[0], "%.2e"),
            f(t.get("rel_err_vs_fp32"), "%.2e"), f(t.get("max_rel_err_vs_fp32"), "%.2e"),
            "; ".join(str(n) for n in notes)[:100]), file=out)
    batches = sorted({d["batch"] for d in _lines(path) if d.get("kind") == "infertop-selftest" and d.get("batch")})
    print("ran: the precision infertop's JSON says it computed in. it err: infertop's selftest on the GPU against its "
          "float32 CPU engine, max|a-b| / max|b|, at batch %s. pt err: PyTorch against its own fp32 output (TF32 off) "
          "on the same input, ||a-b|| / ||b||; pt maxerr: max|a-b| / max|b|." % (
              ",".join(str(b) for b in batches) or "-"), file=out)
    if torch_meta:
        print("PyTorch %s on %s; fp16/bf16: %s." % (torch_meta.get("torch_version", "?"), torch_meta.get("gpu", "?"),
                                                   torch_meta.get("half_mode", "?")), file=out)
    return 0


def main(argv):
    if len(argv) >= 2 and argv[0] == "torch-table":
        return torch_table(argv[1])
    if len(argv) >= 2 and argv[0] == "imported":
        return imported(argv[1])
    if len(argv) >= 3 and argv[0] == "smi-compare":
        return smi_compare(argv[1], argv[2])
    if len(argv) >= 3 and argv[0] == "ratios":
        return ratios(argv[1], argv[2], fmt=argv[3] if len(argv) > 3 else "table")
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
