/**
 * The ONNX spelling of the pieces every decoder is made of, each written as transformers computes
 * it, in the checkpoint's own element type (the "compute type": the token embedding's dtype), with
 * transformers' float32 islands: RMSNorm normalises in float32 (LlamaRMSNorm), rotary tables are
 * float32 before the cast, and attention scores and softmax are float32. Weights are external
 * initializers in the checkpoint's files; a weight stored in another type than the compute type
 * is read through a Cast. On float32 checkpoints every cast disappears.
 */
import type { CheckpointTensor } from './checkpointFolder';
import type { Activation, LinearSpec, NormSpec } from './architectures/decoderSpec';
import type { WeightCatalog } from './architectures/weightCatalog';
import { int, ints } from '../graph/editBuilder';
import { AttributeType, DataType } from '../onnx/proto';
import type { OnnxGraphWriter } from './onnxGraphWriter';

export const ONNX_TYPES: Record<string, number> = { F32: DataType.Float, F16: DataType.Float16, BF16: DataType.BFloat16 };

export class GraphOps {
  private readonly weightNames = new Map<string, string>();
  private readonly transposed = new Map<string, string>();
  private readonly scalars = new Map<number, string>();

  constructor(
    readonly graph: OnnxGraphWriter,
    private readonly weights: WeightCatalog,
    /** The ONNX element type the model computes in. */
    readonly computeType: number,
  ) {}

  node(opType: string, inputs: string[], attributes?: Parameters<OnnxGraphWriter['node']>[2], output?: string): string {
    return this.graph.node(opType, inputs, attributes, output);
  }

  /** A checkpoint tensor as an initializer (external data), in the compute type. */
  weight(name: string): string {
    const known = this.weightNames.get(name);
    if (known) return known;
    const tensor: CheckpointTensor = this.weights.tensor(name);
    const stored = ONNX_TYPES[tensor.dtype];
    this.graph.externalTensor({ name, dataType: stored, dims: tensor.shape, location: tensor.shard, offset: tensor.offset, length: tensor.length });
    const usable = stored === this.computeType ? name : this.node('Cast', [name], { to: int(this.computeType) }, `${name}/as_compute_type`);
    this.weightNames.set(name, usable);
    return usable;
  }

  /** A scalar constant in the compute type (a float32 constant cast, so the value is the one given). */
  scalar(value: number): string {
    const known = this.scalars.get(value);
    if (known) return known;
    const constant = this.graph.floats([value], []);
    const typed = this.computeType === DataType.Float ? constant : this.node('Cast', [constant], { to: int(this.computeType) });
    this.scalars.set(value, typed);
    return typed;
  }

  toFloat(tensor: string): string {
    return this.computeType === DataType.Float ? tensor : this.node('Cast', [tensor], { to: int(DataType.Float) });
  }

  toCompute(tensor: string): string {
    return this.computeType === DataType.Float ? tensor : this.node('Cast', [tensor], { to: int(this.computeType) });
  }

  /** x @ Wᵀ + b for a torch Linear ([out, in]), x @ W + b for GPT-2's Conv1D ([in, out]). */
  linear(input: string, spec: LinearSpec): string {
    let weight = this.weight(spec.weight);
    if (spec.layout === 'out-in') {
      let transposed = this.transposed.get(spec.weight);
      if (!transposed) {
        transposed = this.node('Transpose', [weight], { perm: ints([1, 0]) });
        this.transposed.set(spec.weight, transposed);
      }
      weight = transposed;
    }
    const product = this.node('MatMul', [input, weight]);
    return spec.bias ? this.node('Add', [product, this.weight(spec.bias)]) : product;
  }

  /** Over the last axis. RMS: LlamaRMSNorm (weight × (x·rsqrt(mean(x²) + eps)) with the inner part in float32); layer: LayerNorm. */
  norm(input: string, spec: NormSpec): string {
    if (spec.kind === 'layer') {
      const inputs = [input, this.weight(spec.weight), ...(spec.bias ? [this.weight(spec.bias)] : [])];
      return this.node('LayerNormalization', inputs, { axis: int(-1), epsilon: { type: AttributeType.Float, value: spec.eps } });
    }
    const x = this.toFloat(input);
    const variance = this.node('ReduceMean', [this.node('Pow', [x, this.graph.floats([2], [])])], { axes: ints([-1]), keepdims: int(1) });
    const inverse = this.node('Reciprocal', [this.node('Sqrt', [this.node('Add', [variance, this.graph.floats([spec.eps], [])])])]);
    const normalised = this.toCompute(this.node('Mul', [x, inverse]));
    return this.node('Mul', [this.weight(spec.weight), normalised]);
  }

  /** transformers' ACT2FN: silu = x·σ(x); gelu_new = 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))); gelu = 0.5x(1 + erf(x/√2)). */
  activation(input: string, activation: Activation): string {
    switch (activation) {
      case 'silu':
        return this.node('Mul', [input, this.node('Sigmoid', [input])]);
      case 'relu':
        return this.node('Relu', [input]);
      case 'gelu': {
        const erf = this.node('Erf', [this.node('Div', [input, this.scalar(Math.SQRT2)])]);
        return this.node('Mul', [this.node('Mul', [this.scalar(0.5), input]), this.node('Add', [this.scalar(1), erf])]);
      }
      case 'gelu_tanh': {
        const cube = this.node('Pow', [input, this.scalar(3)]);
        const inner = this.node('Mul', [this.scalar(Math.sqrt(2 / Math.PI)), this.node('Add', [input, this.node('Mul', [this.scalar(0.044715), cube])])]);
        return this.node('Mul', [this.node('Mul', [this.scalar(0.5), input]), this.node('Add', [this.scalar(1), this.node('Tanh', [inner])])]);
      }
    }
  }
}
