/**
 * The element type of a graph tensor, read from the graph's declarations or worked out from the
 * node that produces it. Probes must know it: a model may store weights in one type and compute
 * in another (bfloat16 weights cast to float32), so the embedding table's type does not tell the
 * type of every activation.
 */
import { DataType, OnnxNode } from '../onnx/proto';
import type { GraphIndex } from './graphIndex';

const INT64_RESULTS = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin', 'NonMaxSuppression']);
const BOOL_RESULTS = new Set(['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf']);

/** Where a node output's type comes from: a known type, or the type of another tensor. */
type Rule = { type: number } | { sameAs: string } | null;

export class TensorTypes {
  private readonly known = new Map<string, number | null>();
  private readonly declared = new Map<string, number>();

  constructor(private readonly index: GraphIndex) {
    const graph = index.graph;
    for (const info of [...graph.inputs, ...graph.outputs, ...graph.valueInfo.values()]) {
      if (info.elemType) this.declared.set(info.name, info.elemType);
    }
    for (const [name, tensor] of graph.initializers) this.declared.set(name, tensor.dataType);
  }

  /** The tensor's element type (DataType), or null when the graph does not say and it cannot be worked out. */
  of(tensor: string): number | null {
    // Follows one chain of producers (each rule names at most one tensor), so no recursion.
    const chain: string[] = [];
    const visited = new Set<string>();
    let current = tensor;
    let result: number | null = null;
    for (;;) {
      if (this.known.has(current)) {
        result = this.known.get(current)!;
        break;
      }
      const declared = this.declared.get(current);
      if (declared !== undefined) {
        result = declared;
        break;
      }
      const node = this.index.producer.get(current);
      if (!node || visited.has(current)) break;
      visited.add(current);
      chain.push(current);
      const rule = ruleFor(node, node.outputs.indexOf(current));
      if (rule === null) break;
      if ('type' in rule) {
        result = rule.type;
        break;
      }
      current = rule.sameAs;
    }
    for (const name of chain) this.known.set(name, result);
    return result;
  }
}

function ruleFor(node: OnnxNode, output: number): Rule {
  const attribute = (name: string) => node.attributes.get(name);
  if (node.opType === 'Cast') {
    const to = attribute('to')?.i;
    return to === undefined ? null : { type: Number(to) };
  }
  if (node.opType === 'CastLike') return { sameAs: node.inputs[1] };
  if (node.opType === 'Constant') {
    const value = attribute('value')?.t;
    if (value) return { type: value.dataType };
    if (attribute('value_float') || attribute('value_floats')) return { type: DataType.Float };
    if (attribute('value_int') || attribute('value_ints')) return { type: DataType.Int64 };
    return null;
  }
  if (node.opType === 'ConstantOfShape') return { type: attribute('value')?.t?.dataType ?? DataType.Float };
  if (INT64_RESULTS.has(node.opType)) return { type: DataType.Int64 };
  if (BOOL_RESULTS.has(node.opType)) return { type: DataType.Bool };
  if (node.opType === 'TopK' && output === 1) return { type: DataType.Int64 };
  if (node.opType === 'Where') return { sameAs: node.inputs[1] };
  if (node.opType === 'DequantizeLinear') return { sameAs: node.inputs[1] };
  if (node.opType === 'EmbedLayerNormalization') return output === 1 ? { type: DataType.Int32 } : { sameAs: node.inputs[2] };
  // Elementwise arithmetic, MatMul, normalisations, attention, shape movement: the first input's type.
  const first = node.inputs.find(Boolean);
  return first ? { sameAs: first } : null;
}
