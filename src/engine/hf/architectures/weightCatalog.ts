/**
 * The checkpoint's tensors as an architecture module asks for them: each by name with the shape
 * config.json implies, so that a checkpoint and a config that do not belong together fail here,
 * naming the tensor, rather than in onnxruntime or, worse, not at all.
 */
import { SinkLensError } from '../../errors';
import type { CheckpointTensor } from '../checkpointFolder';
import type { ConfigValues } from './configValues';

/** Element types onnxruntime can compute with, by safetensors name. */
export const COMPUTABLE_DTYPES = new Set(['F32', 'F16', 'BF16']);

export class WeightCatalog {
  constructor(
    private readonly tensors: Map<string, CheckpointTensor>,
    private readonly config: ConfigValues,
  ) {}

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  tensor(name: string): CheckpointTensor {
    const tensor = this.tensors.get(name);
    if (!tensor) throw new Error(`${name} was never checked`); // the builder asks only for expected tensors
    return tensor;
  }

  /**
   * The name prefix the checkpoint uses, found from one tensor every checkpoint of the type has:
   * `model.` or none for LLaMA-likes (a base model saved alone), `transformer.` or none for GPT-2.
   */
  prefix(suffix: string, candidates: string[]): string {
    const found = candidates.find((prefix) => this.tensors.has(`${prefix}${suffix}`));
    if (found === undefined) {
      const names = [...this.tensors.keys()];
      throw new SinkLensError(
        'model',
        'missing-tensor',
        `the checkpoint has no tensor ${candidates.map((prefix) => `'${prefix}${suffix}'`).join(' or ')}, which a ${this.config.modelType} model has (its tensors start ${names
          .slice(0, 3)
          .map((name) => `'${name}'`)
          .join(', ')}${names.length > 3 ? ', …' : ''}); check that config.json belongs to these weights`,
      );
    }
    return found;
  }

  /** `name`, checked to exist with `shape` in a type onnxruntime computes with; `why` explains the shape. */
  expect(name: string, shape: number[], why: string): string {
    const tensor = this.tensors.get(name);
    if (!tensor) {
      throw new SinkLensError('model', 'missing-tensor', `the checkpoint has no tensor '${name}', which config.json (${why}) implies; check that config.json belongs to these weights`);
    }
    if (!COMPUTABLE_DTYPES.has(tensor.dtype)) {
      throw new SinkLensError('model', 'unsupported-dtype', `tensor '${name}' is stored as ${tensor.dtype}; Sink Lens reads F32, F16 and BF16 checkpoints (not quantized ones)`);
    }
    if (tensor.shape.length !== shape.length || tensor.shape.some((size, i) => size !== shape[i])) {
      throw new SinkLensError(
        'model',
        'shape-mismatch',
        `config/weights shape mismatch: '${name}' is [${tensor.shape.join(', ')}] in ${tensor.shard}, but config.json (${why}) implies [${shape.join(', ')}]; check that config.json belongs to these weights`,
      );
    }
    return name;
  }

  /** `name` checked as `expect` does, or null when the checkpoint has no such tensor. */
  optional(name: string, shape: number[], why: string): string | null {
    return this.tensors.has(name) ? this.expect(name, shape, why) : null;
  }
}

/**
 * The output projection: the token embedding when `tie_word_embeddings` (transformers then ignores
 * any separate head), otherwise the head tensor (`lm_head.weight`, GPT-NeoX's `embed_out.weight`), which must be there.
 */
export function lmHead(config: ConfigValues, weights: WeightCatalog, embedding: string, shape: number[], why: string, tiedByDefault: boolean, head = 'lm_head.weight'): string {
  if (config.flag('tie_word_embeddings', tiedByDefault)) return embedding;
  return weights.expect(head, shape, `${why}; tie_word_embeddings false`);
}
