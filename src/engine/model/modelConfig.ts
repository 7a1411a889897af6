/**
 * What the model's own files say about it: Hugging Face config.json and generation_config.json,
 * onnxruntime-genai's genai_config.json, tokenizer_config.json and the ONNX metadata. Anything
 * missing is inferred from the graph later.
 */
import { readJsonIfPresent } from './json';
import type { ModelFiles } from './modelFiles';

export interface DeclaredConfig {
  architecture: string | null;
  layers: number | null;
  heads: number | null;
  kvHeads: number | null;
  hiddenSize: number | null;
  vocabSize: number | null;
  bosTokenId: number | null;
  /** tokenizer_config.json's bos_token (its text), for looking its id up when no config gives the id. */
  bosToken: string | null;
  /** Whether the tokenizer's own config asks for a BOS token (null when it does not say). */
  addBosToken: boolean | null;
  contextLength: number | null;
  slidingWindowLayers: number[];
  /** config.json's torch_dtype (transformers 5: dtype): the precision the checkpoint was saved in. */
  torchDtype: string | null;
}

type Json = Record<string, unknown>;

const num = (...values: unknown[]): number | null => {
  for (const value of values) if (typeof value === 'number' && Number.isFinite(value)) return value;
  return null;
};

export function readDeclaredConfig(files: ModelFiles, metadata: Map<string, string>): DeclaredConfig {
  const hf = (readJsonIfPresent(files.config) ?? {}) as Json;
  const text = (hf.text_config ?? {}) as Json; // multimodal configs nest the decoder's settings
  const genaiModel = (((readJsonIfPresent(files.genaiConfig) ?? {}) as Json).model ?? {}) as Json;
  const genai = (genaiModel.decoder ?? {}) as Json;
  const tokenizerConfig = (readJsonIfPresent(files.tokenizerConfig) ?? {}) as Json;
  const generation = (readJsonIfPresent(files.generationConfig) ?? {}) as Json;
  const meta = parseMetadataConfig(metadata.get('config'));
  const pick = (key: string) => text[key] ?? hf[key];

  const layers = num(pick('num_hidden_layers'), pick('n_layer'), genai.num_hidden_layers, meta.n_layers);
  return {
    architecture: stringOr(pick('model_type'), genaiModel.type),
    layers,
    heads: num(pick('num_attention_heads'), pick('n_head'), genai.num_attention_heads, meta.n_heads),
    kvHeads: num(pick('num_key_value_heads'), genai.num_key_value_heads, meta.n_kv_heads),
    hiddenSize: num(pick('hidden_size'), pick('n_embd'), genai.hidden_size, meta.dim),
    vocabSize: num(pick('vocab_size'), genaiModel.vocab_size, meta.vocab_size),
    bosTokenId: num(pick('bos_token_id'), generation.bos_token_id, genaiModel.bos_token_id, metadata.has('bos_token_id') ? Number(metadata.get('bos_token_id')) : null),
    bosToken: tokenText(tokenizerConfig.bos_token),
    addBosToken: typeof tokenizerConfig.add_bos_token === 'boolean' ? tokenizerConfig.add_bos_token : null,
    contextLength: num(pick('max_position_embeddings'), pick('n_positions'), genaiModel.context_length, meta.seq_len),
    slidingWindowLayers: files.checkpoint?.slidingWindowLayers ?? slidingWindowLayers(hf, text, layers),
    torchDtype: stringOr(pick('torch_dtype'), pick('dtype')),
  };
}

function stringOr(...values: unknown[]): string | null {
  for (const value of values) if (typeof value === 'string' && value) return value;
  return null;
}

/** A special token as tokenizer_config.json writes it: a string, or an AddedToken object with `content`. */
function tokenText(value: unknown): string | null {
  if (typeof value === 'string' && value) return value;
  const content = (value as Json | null)?.content;
  return typeof content === 'string' && content ? content : null;
}

function parseMetadataConfig(value: string | undefined): Json {
  if (!value) return {};
  try {
    const parsed = JSON.parse(value);
    return typeof parsed === 'object' && parsed ? parsed : {};
  } catch {
    return {};
  }
}

/**
 * Layers whose attention only sees a local window. Configs say it three ways: an explicit
 * `layer_types` list (Gemma 2/3, Qwen3 hybrids), a global `sliding_window` with
 * `use_sliding_window` and `max_window_layers` (Qwen2), or a bare `sliding_window` (Mistral: every layer).
 */
function slidingWindowLayers(hf: Json, text: Json, layers: number | null): number[] {
  const get = (key: string) => text[key] ?? hf[key];
  const layerTypes = get('layer_types');
  if (Array.isArray(layerTypes)) {
    return layerTypes.flatMap((type, layer) => (typeof type === 'string' && type.includes('sliding') ? [layer] : []));
  }
  const window = get('sliding_window');
  if (typeof window !== 'number' || window <= 0 || layers === null) return [];
  if (get('use_sliding_window') === false) return [];
  const maxWindowLayers = get('max_window_layers');
  const first = typeof maxWindowLayers === 'number' && get('use_sliding_window') === true ? maxWindowLayers : 0;
  return Array.from({ length: Math.max(0, layers - first) }, (_, i) => first + i);
}
