#!/usr/bin/env node
'use strict';

const USAGE = `Runs one batch of an ONNX file in onnxruntime (CPU) and writes its outputs as .npy,
to check infertop infer's outputs against.

usage: node bench/onnxruntime/outputs.js --model FILE [--input NAME=FILE.npy]... [--output DIR]
           [--batch B] [--dim NAME=N]... [--int-range INPUT=N]... [--seed 0] [--threads 0]
           [--against DIR] [--rtol 1e-3] [--atol 1e-5]

Every input not given with --input is filled as bench.js fills it (as infertop's
model.FillInputs does: float32 uniform in [-1, 1), token ids over their table,
other integers ones, bools true) at --batch (default: the batch of the inputs
given, else 1) and written to DIR/<input>.npy, so the same data can be given to
infertop infer. Each output is written to DIR/<output>.npy (characters other
than letters, digits, '.', '_' and '-' in a name become '_').

--against DIR compares each output with DIR/<output>.npy (infertop infer's
--output folder, say): it prints the largest absolute and relative difference
per output and whether |ours - theirs| <= atol + rtol * |theirs| holds for
every element (numpy.allclose's rule), and exits 1 when it does not.

The session is onnxruntime's with every graph optimization, --threads
intra-op threads (0: one per core), one inter-op thread, sequential execution.
`;

const fs = require('fs');
const path = require('path');
const c = require('./lib/common');
const npy = require('./lib/npy');

const fileName = (name) => name.replace(/[^A-Za-z0-9._-]/g, '_') + '.npy';

// compare returns the largest differences between two tensors and whether
// numpy.allclose(ours, theirs, rtol, atol) holds.
function compare(ours, theirs, rtol, atol) {
  if (ours.dims.join(',') !== theirs.dims.join(',')) {
    return { error: 'shape [' + ours.dims + '] against [' + theirs.dims + ']' };
  }
  let maxAbs = 0;
  let maxRel = 0;
  let bad = 0;
  for (let i = 0; i < ours.data.length; i++) {
    const a = Number(ours.data[i]);
    const b = Number(theirs.data[i]);
    const d = Math.abs(a - b);
    if (Number.isNaN(a) !== Number.isNaN(b) || d > atol + rtol * Math.abs(b)) bad++;
    if (d > maxAbs) maxAbs = d;
    if (b !== 0 && d / Math.abs(b) > maxRel) maxRel = d / Math.abs(b);
  }
  return { max_abs: maxAbs, max_rel: maxRel, mismatched: bad, elements: ours.data.length, allclose: bad === 0 };
}

async function main() {
  const a = c.parseArgs(process.argv.slice(2), {
    usage: USAGE,
    defaults: { model: '', output: '.', batch: '', seed: '0', threads: '0', against: '', rtol: '1e-3', atol: '1e-5' },
    repeat: ['input', 'dim', 'int-range'],
  });
  if (!a.model) c.fail('--model FILE is required (see --help)');
  const rtol = Number(a.rtol);
  const atol = Number(a.atol);
  if (!(rtol >= 0) || !(atol >= 0)) c.fail('--rtol and --atol must be numbers >= 0');
  const threads = c.intList(a.threads, 'threads', true)[0];
  const ort = c.ort();
  const graph = c.graphOf(a.model);
  const session = await ort.InferenceSession.create(a.model, c.sessionOptions(threads));
  const meta = session.inputNames.map((n, i) => ({ name: n, ...(session.inputMetadata[i] || {}) }));

  const given = {};
  for (const kv of a.input) {
    const eq = kv.indexOf('=');
    if (eq <= 0) c.fail('--input ' + JSON.stringify(kv) + ': want NAME=FILE.npy');
    const name = kv.slice(0, eq);
    if (!session.inputNames.includes(name)) {
      c.fail('--input ' + name + ': the model has no input ' + JSON.stringify(name) + ' (inputs: ' + session.inputNames.join(', ') + ')');
    }
    try {
      given[name] = npy.read(kv.slice(eq + 1));
    } catch (e) {
      c.fail(e.code === 'ENOENT' ? kv.slice(eq + 1) + ': no such file' : e.message);
    }
  }
  let batch = a.batch ? c.intList(a.batch, 'batch', false)[0] : 0;
  if (!batch) batch = Object.values(given).map((t) => t.dims[0]).find((d) => d > 0) || 1;

  fs.mkdirSync(a.output, { recursive: true });
  // Named dimensions take their sizes from the inputs given, unless --dim binds them.
  const dims = c.namedInts(a.dim, 'dim');
  for (const m of meta) {
    const t = given[m.name];
    (m.shape || []).forEach((d, i) => {
      if (t && i > 0 && typeof d === 'string' && d !== '' && !(d in dims) && i < t.dims.length) dims[d] = t.dims[i];
    });
  }
  let shapes;
  try {
    shapes = c.bindShapes(meta, batch, dims);
  } catch (e) {
    c.fail(e.message);
  }
  const missing = meta.filter((m) => !given[m.name]);
  const filled = c.fillInputs(ort, missing, shapes, graph, c.namedInts(a['int-range'], 'int-range'), Number(a.seed));
  const feeds = { ...filled.feeds };
  for (const m of meta) {
    const t = given[m.name];
    if (!t) continue;
    if (t.type !== m.type) c.fail('--input ' + m.name + ': the file holds ' + t.type + ', the model takes ' + m.type);
    if (t.dims.join(',') !== shapes[m.name].join(',')) {
      c.fail('--input ' + m.name + ': the file holds shape [' + t.dims.join(', ') + '], the model takes [' + shapes[m.name].join(', ') + '] at batch ' + batch);
    }
    feeds[m.name] = new ort.Tensor(t.type, t.data, t.dims);
  }
  for (const m of missing) {
    const t = feeds[m.name];
    const file = path.join(a.output, fileName(m.name));
    npy.write(file, { type: m.type, dims: t.dims, data: t.data });
    process.stderr.write('input ' + m.name + ' ' + JSON.stringify(t.dims) + ' ' + m.type + ' (filled) -> ' + file + '\n');
  }

  const results = await session.run(feeds);
  let rc = 0;
  for (const name of session.outputNames) {
    const t = results[name];
    const file = path.join(a.output, fileName(name));
    npy.write(file, { type: t.type, dims: t.dims, data: t.data });
    let line = 'output ' + name + ' ' + JSON.stringify(t.dims) + ' ' + t.type + ' -> ' + file;
    if (a.against) {
      const theirsFile = path.join(a.against, fileName(name));
      let r;
      try {
        r = compare(t, npy.read(theirsFile), rtol, atol);
      } catch (e) {
        r = { error: e.code === 'ENOENT' ? theirsFile + ': no such file' : e.message };
      }
      if (r.error) line += '; against ' + theirsFile + ': ' + r.error;
      else {
        line += '; against ' + theirsFile + ': max |diff| ' + r.max_abs.toExponential(2) + ', max rel ' +
          r.max_rel.toExponential(2) + ', ' + (r.allclose ? 'allclose' : r.mismatched + ' of ' + r.elements + ' elements differ') +
          ' (rtol ' + rtol + ', atol ' + atol + ')';
      }
      if (r.error || !r.allclose) rc = 1;
    }
    process.stdout.write(line + '\n');
  }
  await session.release();
  return rc;
}

main().then((rc) => process.exit(rc), (e) => {
  process.stderr.write('outputs.js: ' + (e && e.message ? e.message.split('\n')[0] : e) + '\n');
  process.exit(1);
});
