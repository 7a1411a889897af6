/**
 * A number as a tensor of the model's element type holds it, for the few values transformers
 * creates in that type itself (Gemma's `torch.tensor(hidden_size ** 0.5, dtype=...)`: sqrt(3072)
 * is 55.4256 in float32 but 55.5 in bfloat16). Round to nearest, ties to even, as torch rounds.
 */
import { DataType } from '../onnx/proto';

export function roundToType(value: number, type: number): number {
  const single = Math.fround(value);
  if (type === DataType.BFloat16) return bfloat16(single);
  if (type === DataType.Float16) return float16(single);
  return single;
}

/** The upper 16 bits of the float32, rounded to nearest even (finite values). */
function bfloat16(single: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, single);
  const bits = view.getUint32(0);
  const rounded = (bits + 0x7fff + ((bits >>> 16) & 1)) & 0xffff0000;
  view.setUint32(0, rounded >>> 0);
  return view.getFloat32(0);
}

/** IEEE half precision: 10 fraction bits, exponents -14 … 15 (subnormals below). */
function float16(single: number): number {
  if (single === 0 || !Number.isFinite(single)) return single;
  const exponent = Math.max(Math.floor(Math.log2(Math.abs(single))), -14);
  const step = 2 ** (exponent - 10);
  const scaled = single / step;
  const floor = Math.floor(scaled);
  const remainder = scaled - floor;
  const even = remainder > 0.5 || (remainder === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
  return Math.min(Math.max(even * step, -65504), 65504);
}
