'use strict';
// Tests of what bench.js and outputs.js share, on the fixtures of
// testdata/models; they need no onnxruntime: node --test bench/onnxruntime/test/

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { readGraph, indexedRows } = require('../lib/onnxgraph');
const { bindShapes, fillInputs } = require('../lib/common');
const npy = require('../lib/npy');

const MODELS = path.join(__dirname, '..', '..', '..', 'testdata', 'models');

// FakeOrt stands in for onnxruntime's Tensor.
const fakeOrt = { Tensor: class { constructor(type, data, dims) { Object.assign(this, { type, data, dims }); } } };

test('readGraph reads inputs, opset and shapes, and finds the token table', () => {
  const bert = readGraph(path.join(MODELS, 'bert_tiny.onnx'));
  assert.equal(bert.opset, 17);
  assert.deepEqual(bert.inputs, ['input_ids', 'attention_mask']);
  assert.deepEqual(bert.outputs, ['output']);
  assert.deepEqual(bert.shapes.get('input_ids'), ['batch', 'seq']);
  assert.equal(indexedRows(bert, 'input_ids'), 100); // the vocabulary of make.py
  assert.equal(indexedRows(bert, 'attention_mask'), 0);
  const mlp = readGraph(path.join(MODELS, 'mlp_gemm.onnx'));
  assert.equal(mlp.opset, 13);
  assert.deepEqual(mlp.inputs, ['input']); // the initializers are not inputs
  assert.deepEqual(mlp.shapes.get('input'), ['batch', 16]);
  assert.deepEqual(mlp.nodes.map((n) => n.op), ['Gemm', 'Relu', 'Gemm']);
});

test('bindShapes binds as infertop does', () => {
  const bert = [{ name: 'ids', shape: ['batch', 'seq'] }, { name: 'mask', shape: ['batch', 'seq'] }];
  const cases = [
    { name: 'batch and a named dimension', meta: bert, batch: 4, dims: { seq: 16 }, want: { ids: [4, 16], mask: [4, 16] } },
    { name: 'a --dim naming nothing binds nothing', meta: [{ name: 'x', shape: ['N', 3] }], batch: 2, dims: { seq: 9 }, want: { x: [2, 3] } },
    { name: 'an unnamed batch', meta: [{ name: 'x', shape: ['', 3] }], batch: 5, dims: {}, want: { x: [5, 3] } },
    { name: 'the batch symbol elsewhere', meta: [{ name: 'x', shape: ['b', 'b'] }], batch: 3, dims: {}, want: { x: [3, 3] } },
    { name: 'a fixed batch, matched', meta: [{ name: 'x', shape: [8, 3] }], batch: 8, dims: {}, want: { x: [8, 3] } },
    { name: 'a fixed batch, not matched', meta: [{ name: 'x', shape: [8, 3] }], batch: 4, dims: {},
      err: /input "x" was exported with a fixed batch of 8, so it runs at batch 8 only/ },
    { name: 'a named dimension unbound', meta: bert, batch: 1, dims: {},
      err: /input "ids" has the free dimension "seq" \(shape \[batch, seq\]\): bind it with --dim seq=N/ },
    { name: 'an unnamed free dimension', meta: [{ name: 'x', shape: ['batch', ''] }], batch: 1, dims: {},
      err: /input "x" has an unnamed free dimension 1/ },
    { name: 'a --dim giving the batch another size', meta: bert, batch: 2, dims: { batch: 3, seq: 4 },
      err: /--dim batch=3: "batch" is the batch dimension of input "ids", which takes the batch size 2/ },
  ];
  for (const tc of cases) {
    if (tc.err) assert.throws(() => bindShapes(tc.meta, tc.batch, tc.dims), tc.err, tc.name);
    else assert.deepEqual(bindShapes(tc.meta, tc.batch, tc.dims), tc.want, tc.name);
  }
});

test('fillInputs fills as model.FillInputs does, the same for the same seed', () => {
  const graph = readGraph(path.join(MODELS, 'bert_tiny.onnx'));
  const meta = [{ name: 'input_ids', type: 'int64' }, { name: 'attention_mask', type: 'int64' }, { name: 'x', type: 'float32' },
    { name: 'b', type: 'bool' }];
  const shapes = { input_ids: [3, 16], attention_mask: [3, 16], x: [2, 500], b: [4] };
  const a = fillInputs(fakeOrt, meta, shapes, graph, {}, 7);
  const ids = Array.from(a.feeds.input_ids.data, Number);
  assert.ok(ids.every((v) => Number.isInteger(v) && v >= 0 && v < 100), 'token ids in [0, 100)');
  assert.ok(new Set(ids).size > 20, 'token ids vary');
  assert.ok(Array.from(a.feeds.attention_mask.data).every((v) => v === 1n), 'the mask is ones');
  const x = a.feeds.x.data;
  assert.ok(x.every((v) => v >= -1 && v < 1), 'floats in [-1, 1)');
  assert.ok(Math.min(...x) < -0.9 && Math.max(...x) > 0.9, 'floats span [-1, 1)');
  assert.deepEqual(Array.from(a.feeds.b.data), [1, 1, 1, 1]);
  assert.deepEqual(a.described.map((d) => d.fill), ['uniform over 100 rows', 'ones', 'uniform [-1, 1)', 'true']);
  const again = fillInputs(fakeOrt, meta, shapes, graph, {}, 7);
  assert.deepEqual(again.feeds.x.data, x);
  const other = fillInputs(fakeOrt, meta, shapes, graph, {}, 8);
  assert.notDeepEqual(other.feeds.x.data, x);
  const ranged = fillInputs(fakeOrt, meta.slice(1, 2), shapes, graph, { attention_mask: 2 }, 7);
  assert.ok(Array.from(ranged.feeds.attention_mask.data).every((v) => v === 0n || v === 1n));
  assert.throws(() => fillInputs(fakeOrt, [{ name: 'h', type: 'float16' }], { h: [1] }, null, {}, 0),
    /input "h" is float16 \(filled: float32, int64, int32, bool\)/);
});

test('npy reads what NumPy wrote and writes what it reads back', () => {
  const ids = npy.read(path.join(MODELS, 'bert_tiny.b3.input_ids.npy'));
  assert.equal(ids.type, 'int64');
  assert.deepEqual(ids.dims, [3, 16]);
  assert.ok(Array.from(ids.data).every((v) => v >= 0n && v < 100n));
  const out = npy.read(path.join(MODELS, 'mlp_gemm.b3.output.npy'));
  assert.equal(out.type, 'float32');
  assert.deepEqual(out.dims, [3, 10]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npy-'));
  const tensors = [
    { type: 'float32', dims: [2, 3], data: Float32Array.from([1.5, -2, 0, 3.25, 1e-7, -0]) },
    { type: 'int64', dims: [4], data: BigInt64Array.from([1n, -2n, 3n, 9007199254740993n]) },
    { type: 'int32', dims: [1, 2], data: Int32Array.from([7, -8]) },
    { type: 'bool', dims: [3], data: Uint8Array.from([1, 0, 1]) },
    { type: 'float32', dims: [], data: Float32Array.from([42]) },
  ];
  tensors.forEach((t, i) => {
    const file = path.join(dir, i + '.npy');
    npy.write(file, t);
    const raw = fs.readFileSync(file);
    assert.equal((10 + raw.readUInt16LE(8)) % 64, 0, 'the header is padded to 64 bytes');
    assert.deepEqual(npy.read(file), t);
  });
  fs.writeFileSync(path.join(dir, 'bad.npy'), 'not numpy');
  assert.throws(() => npy.read(path.join(dir, 'bad.npy')), /not a \.npy file/);
  fs.rmSync(dir, { recursive: true });
});
