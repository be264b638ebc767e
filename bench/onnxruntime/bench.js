#!/usr/bin/env node
'use strict';

const USAGE = `Times one ONNX file in onnxruntime (CPU), the way infertop bench measures.

usage: node bench/onnxruntime/bench.js --model FILE [--batch 1,8,64] [--threads 0,1]
           [--duration 5s] [--warmup 1s] [--dim NAME=N]... [--int-range INPUT=N]...
           [--window 1s] [--seed 0] [--pretty]

For each thread count x batch size (one onnxruntime session each): inputs
filled as infertop's model.FillInputs fills them; a warm-up thrown away that
lasts at least --warmup and 3 batches and until two consecutive windows agree
within 10 % on throughput (at most --warmup + 20 windows); then session.run
back to back, measured in windows of at least --window and 5 batches, ending at
the first window boundary after --duration and at least 3 windows. Every
batch's latency is taken around one awaited session.run (input tensors are
made once; outputs are allocated by onnxruntime on every run).

Prints one JSON object per line, with infertop bench's field names where they
overlap: model, device, batch, threads, samples_per_sec, batches_per_sec,
latency_ms {p50, p90, p95, p99, p999, max}, batches, samples, stable,
stability {windows, iqr, window_spread, iqr_over_median}, warnings, error;
plus p50_ms and p99_ms, onnxruntime's version, the session options, and what
each input was filled with.

  --model FILE        the .onnx file (required)
  --batch LIST        batch sizes, the first dimension of every input (default 1)
  --threads LIST      intra-op threads; 0 = onnxruntime's default, one per core (default 0)
  --duration D        least measured time per cell (default 5s)
  --warmup D          least warm-up time per cell (default 1s)
  --dim NAME=N        binds a named dimension other than the batch (repeatable), e.g. --dim seq=128
  --int-range IN=N    integer input IN is uniform over [0, N) (repeatable); by default an input
                      that a Gather indexes a table with is uniform over the table's rows, others are ones
  --window D          least window length (default 1s, as infertop's runner)
  --seed N            input data seed (default 0)
  --pretty            a readable line per cell on stderr as well
`;

const path = require('path');
const c = require('./lib/common');

const STABILITY_THRESHOLD = 0.10; // both rules, as infertop's runner
const STABILITY_WINDOWS = 3;
const MIN_WINDOW_BATCHES = 5;
const MIN_WARMUP_BATCHES = 3;
const MAX_WARMUP_WINDOWS = 20;

const now = () => Number(process.hrtime.bigint()) / 1e9;

// percentile is the nearest-rank percentile of an ascending list.
function percentile(sorted, q) {
  if (!sorted.length) return NaN;
  const k = Math.max(0, Math.min(sorted.length - 1, Math.ceil((q * sorted.length) / 100) - 1));
  return sorted[k];
}

// relSpread is perf_analyzer's test: the largest relative distance of any value from the mean.
function relSpread(vals) {
  if (!vals.length) return 0;
  const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
  if (mean <= 0) return Infinity;
  return Math.max(Math.max(...vals) / mean - 1, 1 - Math.min(...vals) / mean);
}

const relDiff = (a, b) => (Math.max(a, b) > 0 ? Math.abs(a - b) / Math.max(a, b) : 0);

// measure runs one cell: warm-up, then windows until duration.
async function measure(session, feeds, batch, o) {
  // Warm-up.
  const warmStart = now();
  let winStart = warmStart;
  let winBatches = 0;
  let warmBatches = 0;
  let warmWindows = 0;
  let prevSPS = 0;
  let settled = false;
  const maxWarm = o.warmup + MAX_WARMUP_WINDOWS * o.window;
  for (;;) {
    await session.run(feeds);
    const t = now();
    warmBatches++;
    winBatches++;
    if (t - winStart >= o.window && winBatches >= MIN_WINDOW_BATCHES) {
      const sps = (winBatches * batch) / (t - winStart);
      const agree = warmWindows > 0 && relDiff(sps, prevSPS) <= STABILITY_THRESHOLD;
      prevSPS = sps;
      warmWindows++;
      winStart = t;
      winBatches = 0;
      if (agree && t - warmStart >= o.warmup && warmBatches >= MIN_WARMUP_BATCHES) {
        settled = true;
        break;
      }
    }
    if (t - warmStart >= maxWarm && warmBatches >= MIN_WARMUP_BATCHES) break;
  }
  const warmupS = now() - warmStart;

  // Measurement, in windows.
  const lat = [];
  const windows = [];
  const start = now();
  winStart = start;
  let winFirst = 0;
  let end = start;
  for (;;) {
    const t0 = now();
    await session.run(feeds);
    end = now();
    lat.push(end - t0);
    if (end - winStart >= o.window && lat.length - winFirst >= MIN_WINDOW_BATCHES) {
      const w = lat.slice(winFirst).sort((a, b) => a - b);
      windows.push({ sps: (w.length * batch) / (end - winStart), p50: percentile(w, 50) });
      winStart = end;
      winFirst = lat.length;
      if (end - start >= o.duration && windows.length >= STABILITY_WINDOWS) break;
    }
  }
  const wall = end - start;
  const ms = lat.map((v) => v * 1e3).sort((a, b) => a - b);
  const last = windows.slice(-STABILITY_WINDOWS);
  const tSpread = relSpread(last.map((w) => w.sps));
  const pSpread = relSpread(last.map((w) => w.p50));
  const p50 = percentile(ms, 50);
  const iqr = p50 > 0 ? (percentile(ms, 75) - percentile(ms, 25)) / p50 : 0;
  const stability = {
    windows: tSpread <= STABILITY_THRESHOLD && pSpread <= STABILITY_THRESHOLD,
    iqr: iqr < STABILITY_THRESHOLD,
    window_spread: Math.max(tSpread, pSpread),
    iqr_over_median: iqr,
  };
  const warnings = [];
  if (!stability.windows || !stability.iqr) {
    const why = [];
    if (!stability.windows) why.push('windows within ' + (100 * stability.window_spread).toFixed(1) + ' % (limit 10 %)');
    if (!stability.iqr) why.push('IQR/median ' + (100 * iqr).toFixed(1) + ' % (limit 10 %)');
    warnings.push('unstable: ' + why.join(', '));
  }
  if (!settled) warnings.push('warm-up did not settle');
  return {
    samples_per_sec: (batch * lat.length) / wall,
    batches_per_sec: lat.length / wall,
    latency_ms: {
      p50, p90: percentile(ms, 90), p95: percentile(ms, 95), p99: percentile(ms, 99),
      p999: percentile(ms, 99.9), max: ms[ms.length - 1],
    },
    p50_ms: p50,
    p99_ms: percentile(ms, 99),
    mean_ms: ms.reduce((a, b) => a + b, 0) / ms.length,
    batches: lat.length,
    samples: lat.length * batch,
    wall_s: wall,
    windows: windows.length,
    stable: stability.windows && stability.iqr,
    stability,
    warmup_s: warmupS,
    warmup_batches: warmBatches,
    warmup_settled: settled,
    warnings,
  };
}

async function main() {
  const a = c.parseArgs(process.argv.slice(2), {
    usage: USAGE,
    defaults: { model: '', batch: '1', threads: '0', duration: '5s', warmup: '1s', window: '1s', seed: '0' },
    repeat: ['dim', 'int-range'],
    flags: ['pretty'],
  });
  if (!a.model) c.fail('--model FILE is required (see --help)');
  const o = {
    batches: c.intList(a.batch, 'batch', false),
    threads: c.intList(a.threads, 'threads', true),
    duration: c.seconds(a.duration, 'duration'),
    warmup: c.seconds(a.warmup, 'warmup'),
    window: c.seconds(a.window, 'window'),
    dims: c.namedInts(a.dim, 'dim'),
    intRange: c.namedInts(a['int-range'], 'int-range'),
    seed: Number(a.seed),
  };
  if (o.duration <= 0 || o.window <= 0) c.fail('--duration and --window must be positive');
  if (!Number.isInteger(o.seed) || o.seed < 0) c.fail('--seed ' + JSON.stringify(a.seed) + ': want an integer >= 0');
  const ort = c.ort();
  const graph = c.graphOf(a.model);
  for (const name of Object.keys(o.intRange)) {
    if (!graph.inputs.includes(name)) c.fail('--int-range ' + name + ': the model has no input ' + JSON.stringify(name) + ' (inputs: ' + graph.inputs.join(', ') + ')');
  }
  let rc = 0;
  for (const threads of o.threads) {
    for (const batch of o.batches) {
      const rec = {
        tool: 'onnxruntime', onnxruntime_version: ort.env.versions.node || ort.env.versions.common,
        model: a.model, model_name: path.basename(a.model), opset: graph.opset, device: 'cpu', batch,
        threads: threads || c.usableCores(), threads_requested: threads,
        session_options: c.sessionOptions(threads), dims: o.dims, seed: o.seed,
      };
      let session;
      try {
        session = await ort.InferenceSession.create(a.model, c.sessionOptions(threads));
        const meta = session.inputNames.map((n, i) => ({ name: n, ...(session.inputMetadata[i] || {}) }));
        const shapes = c.bindShapes(meta, batch, o.dims);
        const { feeds, described } = c.fillInputs(ort, meta, shapes, graph, o.intRange, o.seed);
        rec.inputs = described;
        Object.assign(rec, await measure(session, feeds, batch, o));
        rec.error = '';
      } catch (e) {
        rec.error = String(e && e.message ? e.message : e).split('\n')[0];
        rc = 1;
      } finally {
        if (session) await session.release();
      }
      process.stdout.write(JSON.stringify(rec) + '\n');
      if (a.pretty) {
        process.stderr.write(rec.error ? `${rec.model_name} batch ${batch} threads ${threads}: ${rec.error}\n` :
          `${rec.model_name} batch ${batch} threads ${rec.threads}: ${rec.samples_per_sec.toFixed(1)} samples/s, ` +
          `p50 ${rec.p50_ms.toFixed(3)} ms, p99 ${rec.p99_ms.toFixed(3)} ms, ${rec.batches} batches${rec.stable ? '' : ' (' + rec.warnings.join('; ') + ')'}\n`);
      }
    }
  }
  return rc;
}

main().then((rc) => process.exit(rc), (e) => {
  process.stderr.write('bench.js: ' + (e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});
