/**
 * config.json's `model_type` → the module that turns config and tensors into a DecoderSpec. Any
 * other model type is refused by name, with the list of those Sink Lens builds.
 */
import { SinkLensError } from '../../errors';
import type { CheckpointFolder } from '../checkpointFolder';
import { ConfigValues } from './configValues';
import type { DecoderSpec } from './decoderSpec';
import { gpt2Spec } from './gpt2';
import { LLAMA_FAMILY, llamaFamilySpec } from './llamaFamily';
import { WeightCatalog } from './weightCatalog';

type SpecBuilder = (config: ConfigValues, weights: WeightCatalog) => DecoderSpec;

const ARCHITECTURES: Record<string, SpecBuilder> = {
  ...Object.fromEntries(Object.keys(LLAMA_FAMILY).map((type) => [type, llamaFamilySpec])),
  gpt2: gpt2Spec,
};

export const SUPPORTED_MODEL_TYPES = Object.keys(ARCHITECTURES);

export function isSupportedModelType(modelType: string | null): boolean {
  return modelType !== null && Object.hasOwn(ARCHITECTURES, modelType);
}

export interface CheckedDecoder {
  spec: DecoderSpec;
  weights: WeightCatalog;
}

export function decoderSpecFor(checkpoint: CheckpointFolder): CheckedDecoder {
  const modelType = checkpoint.config.model_type;
  if (typeof modelType !== 'string' || !isSupportedModelType(modelType)) {
    const what = typeof modelType === 'string' ? `model_type '${modelType}'` : 'no model_type';
    throw new SinkLensError(
      'model',
      'unsupported-architecture',
      `config.json in ${checkpoint.folder} has ${what}; Sink Lens builds ${SUPPORTED_MODEL_TYPES.join(', ')} checkpoints (export other models to ONNX: see README, "Exporting a model")`,
    );
  }
  const config = new ConfigValues(checkpoint.config, modelType);
  const weights = new WeightCatalog(checkpoint.tensors, config);
  return { spec: ARCHITECTURES[modelType](config, weights), weights };
}
