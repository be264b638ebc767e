'use strict';
// Reads what the input filler needs from an .onnx file, with a small
// protobuf wire-format decoder (no dependency): the graph's inputs, its nodes
// (op type, inputs, outputs, the integer attribute axis) and the shapes of
// its constants (initializers and Constant nodes' value tensors) and of the
// values value_info lists. Tensor data is skipped, never copied.

const fs = require('fs');

// Field numbers of onnx.proto.
const MODEL_GRAPH = 7;
const MODEL_OPSET = 8;
const GRAPH = { node: 1, initializer: 5, input: 11, output: 12, valueInfo: 13 };
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 };
const ATTR = { name: 1, i: 3, t: 5 };
const TENSOR = { dims: 1, name: 8 };
const VALUE_INFO = { name: 1, type: 2 };

// fields decodes one message into a list of [field, wireType, value]: a
// BigInt for varints, a Buffer view for length-delimited fields.
function fields(buf) {
  const out = [];
  let pos = 0;
  const varint = () => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated protobuf varint');
      const b = buf[pos++];
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7n;
      if (shift > 70n) throw new Error('protobuf varint too long');
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    let value;
    switch (wire) {
      case 0: value = varint(); break;
      case 1: value = buf.subarray(pos, pos + 8); pos += 8; break;
      case 2: {
        const n = Number(varint());
        if (pos + n > buf.length) throw new Error('truncated protobuf field ' + field);
        value = buf.subarray(pos, pos + n);
        pos += n;
        break;
      }
      case 5: value = buf.subarray(pos, pos + 4); pos += 4; break;
      default: throw new Error('unsupported protobuf wire type ' + wire + ' (field ' + field + ')');
    }
    out.push([field, wire, value]);
  }
  return out;
}

const str = (b) => b.toString('utf8');
const int64 = (v) => Number(BigInt.asIntN(64, v));

// ints reads a repeated int64 field, packed or not.
function ints(list, field) {
  const out = [];
  for (const [f, w, v] of list) {
    if (f !== field) continue;
    if (w === 0) out.push(int64(v));
    else for (const [, , x] of packed(v)) out.push(int64(x));
  }
  return out;
}

// packed turns a packed varint run into [field, wire, value] triples.
function packed(buf) {
  const out = [];
  let pos = 0;
  while (pos < buf.length) {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[pos++];
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7n;
    }
    out.push([0, 0, v]);
  }
  return out;
}

const first = (list, field) => {
  const e = list.find(([f]) => f === field);
  return e ? e[2] : undefined;
};
const all = (list, field) => list.filter(([f]) => f === field).map(([, , v]) => v);

function tensorInfo(buf) {
  const t = fields(buf);
  const name = first(t, TENSOR.name);
  return { name: name ? str(name) : '', dims: ints(t, TENSOR.dims) };
}

// valueShape reads a ValueInfoProto's tensor shape: numbers for fixed sizes,
// strings for named dimensions, null for unknown ones; null when absent.
function valueShape(buf) {
  const vi = fields(buf);
  const name = str(first(vi, VALUE_INFO.name) || Buffer.alloc(0));
  const type = first(vi, VALUE_INFO.type);
  const tensor = type && first(fields(type), 1);
  const shape = tensor && first(fields(tensor), 2);
  if (!shape) return { name, shape: null };
  const dims = all(fields(shape), 1).map((d) => {
    const df = fields(d);
    const value = first(df, 1);
    const param = first(df, 2);
    if (value !== undefined) return int64(value);
    if (param !== undefined) return str(param);
    return null;
  });
  return { name, shape: dims };
}

// readGraph returns {opset, inputs, outputs, nodes, shapes, constants} of an
// .onnx file: inputs and outputs are names (inputs without initializers),
// shapes maps value names to their shapes where known, constants the names
// of initializers and Constant outputs.
function readGraph(path) {
  const model = fields(fs.readFileSync(path));
  const g = first(model, MODEL_GRAPH);
  if (!g) throw new Error(path + ': not an ONNX model (it holds no graph)');
  let opset = 0;
  for (const o of all(model, MODEL_OPSET)) {
    const of = fields(o);
    const domain = first(of, 1);
    if (!domain || domain.length === 0 || str(domain) === 'ai.onnx') opset = int64(first(of, 2) || 0n);
  }
  const gf = fields(g);
  const shapes = new Map();
  const constants = new Set();
  for (const t of all(gf, GRAPH.initializer)) {
    const info = tensorInfo(t);
    shapes.set(info.name, info.dims);
    constants.add(info.name);
  }
  for (const field of [GRAPH.input, GRAPH.output, GRAPH.valueInfo]) {
    for (const v of all(gf, field)) {
      const { name, shape } = valueShape(v);
      if (shape && !shapes.has(name)) shapes.set(name, shape);
    }
  }
  const inputs = all(gf, GRAPH.input).map((v) => valueShape(v).name).filter((n) => !constants.has(n));
  const outputs = all(gf, GRAPH.output).map((v) => valueShape(v).name);
  const nodes = all(gf, GRAPH.node).map((nb) => {
    const nf = fields(nb);
    const node = {
      op: str(first(nf, NODE.opType) || Buffer.alloc(0)),
      name: str(first(nf, NODE.name) || Buffer.alloc(0)),
      domain: str(first(nf, NODE.domain) || Buffer.alloc(0)),
      inputs: all(nf, NODE.input).map(str),
      outputs: all(nf, NODE.output).map(str),
      attrs: {},
    };
    for (const ab of all(nf, NODE.attribute)) {
      const af = fields(ab);
      const aname = str(first(af, ATTR.name) || Buffer.alloc(0));
      const i = first(af, ATTR.i);
      const t = first(af, ATTR.t);
      if (i !== undefined) node.attrs[aname] = int64(i);
      if (t !== undefined) node.attrs[aname] = { dims: tensorInfo(t).dims };
    }
    if (node.op === 'Constant' && node.attrs.value && node.outputs[0]) {
      shapes.set(node.outputs[0], node.attrs.value.dims);
      constants.add(node.outputs[0]);
    }
    return node;
  });
  return { opset, inputs, outputs, nodes, shapes, constants };
}

// PASS_THROUGH are the ops model.FillInputs follows from an integer input to
// the Gather it indexes (the value keeps its meaning through them).
const PASS_THROUGH = new Set(['Cast', 'Reshape', 'Unsqueeze', 'Squeeze', 'Flatten', 'Identity']);

// indexedRows is the number of rows of the table that value `name` indexes
// (the size of a Gather's data along its axis, when `name` is its indices),
// following Cast and reshaping ops; 0 when it indexes none. It is
// model.FillInputs' rule (model/fill.go), so both tools feed token ids alike.
function indexedRows(graph, name, depth = 0) {
  if (depth > 8) return 0;
  let rows = 0;
  const take = (k) => { if (k > 0 && (rows === 0 || k < rows)) rows = k; };
  for (const n of graph.nodes) {
    if (n.domain && n.domain !== 'ai.onnx') continue;
    if (n.op === 'Gather' && n.inputs[1] === name) {
      const data = graph.shapes.get(n.inputs[0]);
      if (!data) continue;
      let axis = typeof n.attrs.axis === 'number' ? n.attrs.axis : 0;
      if (axis < 0) axis += data.length;
      if (axis >= 0 && axis < data.length && typeof data[axis] === 'number') take(data[axis]);
    } else if (PASS_THROUGH.has(n.op) && n.inputs[0] === name && n.outputs[0]) {
      take(indexedRows(graph, n.outputs[0], depth + 1));
    }
  }
  return rows;
}

module.exports = { readGraph, indexedRows, fields };
