'use strict';
// NumPy .npy files (format 1.0 to 3.0, C order, little-endian) to and from
// onnxruntime tensors: float32, float64 (read as float32), int64, int32 and bool.

const fs = require('fs');

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

// DESCR maps a .npy dtype to the onnxruntime tensor type and array it becomes.
const DESCR = {
  '<f4': { type: 'float32', Array: Float32Array },
  '<f8': { type: 'float32', Array: Float64Array, widen: Float32Array },
  '<i8': { type: 'int64', Array: BigInt64Array },
  '<i4': { type: 'int32', Array: Int32Array },
  '|b1': { type: 'bool', Array: Uint8Array },
  '|u1': { type: 'bool', Array: Uint8Array },
};

// TYPE maps an onnxruntime tensor type to the .npy dtype it is written as.
const TYPE = { float32: '<f4', int64: '<i8', int32: '<i4', bool: '|b1' };

// read returns {type, dims, data} of a .npy file.
function read(path) {
  const buf = fs.readFileSync(path);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw new Error(path + ': not a .npy file');
  const major = buf[6];
  const lenBytes = major === 1 ? 2 : 4;
  const hlen = lenBytes === 2 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = 8 + lenBytes;
  const header = buf.toString('latin1', start, start + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header);
  const fortran = /'fortran_order':\s*(True|False)/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) throw new Error(path + ': unreadable .npy header ' + header.trim());
  if (fortran[1] === 'True') throw new Error(path + ': Fortran order (accepted: C order)');
  const d = DESCR[descr[1]];
  if (!d) throw new Error(path + ': dtype ' + descr[1] + ' (accepted: ' + Object.keys(DESCR).join(', ') + ')');
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const off = start + hlen;
  const bytes = count * d.Array.BYTES_PER_ELEMENT;
  if (buf.length - off < bytes) throw new Error(path + ': holds ' + (buf.length - off) + ' bytes of data, its shape needs ' + bytes);
  const copy = new Uint8Array(bytes);
  copy.set(buf.subarray(off, off + bytes));
  let data = new d.Array(copy.buffer);
  if (d.widen) data = d.widen.from(data);
  if (d.type === 'bool') data = Uint8Array.from(data, (v) => (v ? 1 : 0));
  return { type: d.type, dims, data };
}

// write stores a tensor ({type, dims, data}) as a .npy file (format 1.0).
function write(path, t) {
  const descr = TYPE[t.type];
  if (!descr) throw new Error('cannot write a ' + t.type + ' tensor as .npy (writable: ' + Object.keys(TYPE).join(', ') + ')');
  const shape = t.dims.length === 1 ? '(' + t.dims[0] + ',)' : '(' + t.dims.join(', ') + ')';
  let header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ', }';
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const pre = Buffer.alloc(10);
  MAGIC.copy(pre);
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const data = t.data;
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(path, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

module.exports = { read, write };
