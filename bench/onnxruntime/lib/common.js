'use strict';
// What bench.js and outputs.js share: the command line, onnxruntime's
// session options, binding the inputs' dimensions as infertop binds them,
// and filling inputs as infertop's model.FillInputs does.

const os = require('os');
const path = require('path');
const { indexedRows, readGraph } = require('./onnxgraph');

// ort loads onnxruntime-node from this folder's node_modules, or says how to
// install it.
function ort() {
  try {
    return require(path.join(__dirname, '..', 'node_modules', 'onnxruntime-node'));
  } catch (e) {
    fail('onnxruntime-node is not installed: run bench/onnxruntime/setup.sh (' + e.message.split('\n')[0] + ')');
  }
}

// fail prints one line on stderr and exits 2 (a usage error).
function fail(msg) {
  process.stderr.write(path.basename(process.argv[1] || 'bench') + ': ' + msg + '\n');
  process.exit(2);
}

// parseArgs reads --name value and --name=value pairs; names in `repeat`
// may be given many times (their values are collected in a list); names in
// `flags` take no value.
function parseArgs(argv, spec) {
  const out = {};
  for (const [k, v] of Object.entries(spec.defaults || {})) out[k] = v;
  for (const k of spec.repeat || []) out[k] = [];
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (a === '-h' || a === '--help') {
      process.stdout.write(spec.usage);
      process.exit(0);
    }
    if (!a.startsWith('--')) fail('unexpected argument ' + JSON.stringify(a) + ' (see --help)');
    a = a.slice(2);
    let value;
    const eq = a.indexOf('=');
    if (eq >= 0) {
      value = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const known = a in (spec.defaults || {}) || (spec.repeat || []).includes(a) || (spec.flags || []).includes(a);
    if (!known) fail('unknown flag --' + a + ' (see --help)');
    if ((spec.flags || []).includes(a)) {
      out[a] = value === undefined ? true : value !== 'false';
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) fail('--' + a + ' needs a value');
      value = argv[++i];
    }
    if ((spec.repeat || []).includes(a)) out[a].push(value);
    else out[a] = value;
  }
  return out;
}

// seconds reads a Go duration ("5s", "500ms", "1m30s") or a plain number of seconds.
function seconds(s, flag) {
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ms|us|µs|s|m|h)/gy;
  const scale = { ms: 1e-3, us: 1e-6, 'µs': 1e-6, s: 1, m: 60, h: 3600 };
  let total = 0;
  let m;
  let end = 0;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * scale[m[2]];
    end = re.lastIndex;
  }
  if (end === 0 || end !== s.length) fail('--' + flag + ' ' + JSON.stringify(s) + ': want a duration such as 5s, 500ms or 1m');
  return total;
}

// intList reads "1,8,64" (positive integers; zero allowed when zeroOK).
function intList(s, flag, zeroOK) {
  const out = String(s).split(',').map((x) => x.trim()).filter((x) => x !== '').map(Number);
  if (!out.length || out.some((n) => !Number.isInteger(n) || n < (zeroOK ? 0 : 1))) {
    fail('--' + flag + ' ' + JSON.stringify(s) + ': want comma-separated integers ' + (zeroOK ? '>= 0' : '> 0') + ', e.g. 1,8,64');
  }
  return out;
}

// namedInts reads repeated NAME=N flags into an object.
function namedInts(list, flag) {
  const out = {};
  for (const kv of list) {
    const m = /^([^=]+)=(\d+)$/.exec(kv);
    if (!m || Number(m[2]) <= 0) fail('--' + flag + ' ' + JSON.stringify(kv) + ': want NAME=N with N > 0, e.g. --' + flag + ' seq=128');
    out[m[1]] = Number(m[2]);
  }
  return out;
}

// graphOf reads what the input filler needs of an .onnx file, or fails with one line.
function graphOf(file) {
  try {
    return readGraph(file);
  } catch (e) {
    return fail(e.code === 'ENOENT' ? file + ': no such file' : file + ': ' + e.message);
  }
}

// usableCores is the number of cores this process may run on.
function usableCores() {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

// sessionOptions are onnxruntime's settings for one run: every graph
// optimization, intra-op threads (0: onnxruntime's default, one per core),
// one inter-op thread, sequential execution, the CPU provider.
function sessionOptions(threads) {
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  };
}

// dimKind tells a metadata dimension apart: a fixed size, a named one, or an unnamed free one.
function dimKind(d) {
  if (typeof d === 'number' && d >= 0) return 'fixed';
  if (typeof d === 'string' && d !== '') return 'named';
  return 'free';
}

const fmtShape = (s) => '[' + s.map((d) => (dimKind(d) === 'free' ? '?' : d)).join(', ') + ']';

// bindShapes gives every input its shape at a batch, as infertop's BindDims
// does: the batch is the first dimension of every input whose first
// dimension is not fixed; dims binds the named ones; the same name gets the
// same size everywhere. A model exported with a fixed batch runs at that
// batch only. Returns {name: [sizes]} or throws with the reason.
function bindShapes(meta, batch, dims) {
  const sizes = { ...dims };
  for (const m of meta) {
    const s = m.shape || [];
    if (!s.length) continue;
    if (dimKind(s[0]) === 'fixed') {
      if (s[0] !== batch) {
        throw new Error('input ' + JSON.stringify(m.name) + ' was exported with a fixed batch of ' + s[0] +
          ', so it runs at batch ' + s[0] + ' only; export it with a dynamic batch axis to run others');
      }
      continue;
    }
    if (dimKind(s[0]) === 'named') {
      if (s[0] in dims && dims[s[0]] !== batch) {
        throw new Error('--dim ' + s[0] + '=' + dims[s[0]] + ': ' + JSON.stringify(s[0]) + ' is the batch dimension of input ' +
          JSON.stringify(m.name) + ', which takes the batch size ' + batch);
      }
      sizes[s[0]] = batch;
    }
  }
  const out = {};
  for (const m of meta) {
    const s = m.shape || [];
    out[m.name] = s.map((d, i) => {
      if (dimKind(d) === 'fixed') return d;
      if (i === 0) return batch;
      if (dimKind(d) === 'named') {
        if (d in sizes) return sizes[d];
        throw new Error('input ' + JSON.stringify(m.name) + ' has the free dimension ' + JSON.stringify(d) + ' (shape ' +
          fmtShape(s) + '): bind it with --dim ' + d + '=N');
      }
      throw new Error('input ' + JSON.stringify(m.name) + ' has an unnamed free dimension ' + i + ' (shape ' + fmtShape(s) +
        '); the model must name it or fix its size');
    });
  }
  return out;
}

// rng is a seeded splitmix64 stream per input name (FNV-1a of the name), so that the
// same seed and input give the same data.
function rng(seed, name) {
  let h = 0xcbf29ce484222325n; // FNV-1a 64 of the name
  for (const b of Buffer.from(name, 'utf8')) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  let state = (BigInt(seed) ^ h) & 0xffffffffffffffffn;
  return () => {
    state = (state + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
    z ^= z >> 31n;
    return Number(z >> 11n) / 2 ** 53; // uniform in [0, 1)
  };
}

// fillInputs makes one tensor per input, as infertop's model.FillInputs
// does: float32 uniform in [-1, 1); integer inputs that index a table
// (a Gather's indices, directly or through Cast and reshaping ops; or
// intRange[name] when given) uniform over its rows; other integers ones;
// bool true. Returns {feeds, described} (described: what each input got).
function fillInputs(o, meta, shapes, graph, intRange, seed) {
  const feeds = {};
  const described = [];
  for (const m of meta) {
    const dims = shapes[m.name];
    const n = dims.reduce((a, b) => a * b, 1);
    const r = rng(seed, m.name);
    let data;
    let fill;
    switch (m.type) {
      case 'float32':
        data = new Float32Array(n);
        for (let i = 0; i < n; i++) data[i] = 2 * r() - 1;
        fill = 'uniform [-1, 1)';
        break;
      case 'int64':
      case 'int32': {
        const rows = intRange[m.name] || (graph ? indexedRows(graph, m.name) : 0);
        data = m.type === 'int64' ? new BigInt64Array(n) : new Int32Array(n);
        for (let i = 0; i < n; i++) {
          const v = rows > 0 ? Math.floor(r() * rows) : 1;
          data[i] = m.type === 'int64' ? BigInt(v) : v;
        }
        fill = rows > 0 ? 'uniform over ' + rows + ' rows' : 'ones';
        break;
      }
      case 'bool':
        data = new Uint8Array(n).fill(1);
        fill = 'true';
        break;
      default:
        throw new Error('input ' + JSON.stringify(m.name) + ' is ' + m.type + ' (filled: float32, int64, int32, bool)');
    }
    feeds[m.name] = new o.Tensor(m.type, data, dims);
    described.push({ name: m.name, dtype: m.type, shape: dims, fill });
  }
  return { feeds, described };
}

module.exports = {
  ort, fail, parseArgs, seconds, intList, namedInts, graphOf, usableCores, sessionOptions, bindShapes, fillInputs,
};
