/**
 * config.json's `model_type` → the module that turns config and tensors into a DecoderSpec. Any
 * other model type is refused by name, with the list of those Sink Lens builds.
 */
import { SinkLensError } from '../../errors';
import type { CheckpointFolder } from '../checkpointFolder';
import { ConfigValues } from './configValues';
import type { DecoderSpec } from './decoderSpec';
import { GEMMA2_TRAITS, GEMMA3_TRAITS } from './gemma';
import { gpt2Spec } from './gpt2';
import { gptNeoxSpec } from './gptNeox';
import { llamaFamilySpec, type Traits } from './llamaFamily';
import { LLAMA_LIKE } from './llamaTraits';
import { OLMO2_TRAITS } from './olmo2';
import { PHI3_TRAITS } from './phi3';
import { QWEN3_MOE_TRAITS } from './qwen3Moe';
import { WeightCatalog } from './weightCatalog';

type SpecBuilder = (config: ConfigValues, weights: WeightCatalog) => DecoderSpec;

const LLAMA_FAMILY: Record<string, Traits> = {
  ...LLAMA_LIKE,
  phi3: PHI3_TRAITS,
  gemma2: GEMMA2_TRAITS,
  gemma3_text: GEMMA3_TRAITS,
  olmo2: OLMO2_TRAITS,
  qwen3_moe: QWEN3_MOE_TRAITS,
};

const ARCHITECTURES: Record<string, SpecBuilder> = {
  ...Object.fromEntries(Object.entries(LLAMA_FAMILY).map(([type, traits]) => [type, (config: ConfigValues, weights: WeightCatalog) => llamaFamilySpec(traits, config, weights)])),
  gpt2: gpt2Spec,
  gpt_neox: gptNeoxSpec,
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
