/**
 * A model's summary before its first run (for "Select Model…" and the explorer): what the graph
 * matcher recognises and what the config files say, without creating an onnxruntime session.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { FileSource } from '../onnx/byteSource';
import { attentionPathOf } from '../graph/operatorProbabilities';
import { DATA_TYPE_NAMES, externalDataLocations } from '../onnx/proto';
import type { AttentionPath } from '../../protocol/report';
import { INDEX_FILE, SINGLE_FILE } from '../hf/checkpointFolder';
import type { ModelLayout } from '../../protocol/layerLayout';
import { graphLayout, matchedLayout } from './graphLayout';
import { readDeclaredConfig } from './modelConfig';
import { locateModelFiles, ModelFiles } from './modelFiles';
import { probedStructure } from './preparedModel';

export interface ModelInspection {
  path: string;
  name: string;
  architecture: string;
  layers: number;
  /** From the graph (the probabilities' head axis, a fused operator's attribute), else the config; null when neither says (known after the first run). */
  heads: number | null;
  kvHeads: number | null;
  hiddenSize: number | null;
  vocabSize: number | null;
  dtype: string;
  attention: AttentionPath;
  /** The .onnx file plus any external data files. */
  sizeBytes: number;
  hasTokenizer: boolean;
  contextLength: number | null;
  slidingWindowLayers: number[];
  /** config.json's torch_dtype; null when no config says. */
  torchDtype: string | null;
  /** The layer layout recognised (protocol/layerLayout.ts): from the checkpoint's spec, or the graph matcher and config.json. */
  layout: ModelLayout;
  /** Only for a Hugging Face checkpoint (the ONNX graph is built from it): its folder (a hub snapshot, for a hub id). */
  format?: 'hf-checkpoint';
  folder?: string;
  /** Only for a model named by hub id: the id as given, and the commit it resolved to. */
  hubId?: string;
  commit?: string;
  weightFiles?: string[];
  /** The built graph in the cache, with the weight files linked (or copied) beside it. */
  builtGraph?: string;
}

export function inspectModel(path: string): ModelInspection {
  const files = locateModelFiles(path);
  const source = new FileSource(files.onnx);
  try {
    const { model, layout, elemType } = probedStructure(source, basename(files.onnx));
    const declared = readDeclaredConfig(files, model.metadata);
    const fused = layout.layers.map((layer) => layer.attention).find((attention) => attention.kind === 'fused');
    // The graph's own head count first (as the analyzer takes it), then the config's.
    const heads = layout.heads ?? declared.heads;
    const fusedKv = fused?.kind === 'fused' ? Number(fused.node.attributes.get('kv_num_heads')?.i ?? 0) || heads : null;
    const dataSize = [...externalDataLocations(model.graph)].reduce((sum, location) => sum + statSync(join(files.folder, location)).size, 0);
    return {
      path,
      name: basename(files.folder),
      architecture: declared.architecture ?? (layout.learnedPositions ? 'gpt2' : 'llama'),
      layers: layout.layers.length,
      heads,
      kvHeads: declared.kvHeads ?? fusedKv,
      hiddenSize: layout.embeddingTable?.dims[1] ?? declared.hiddenSize,
      vocabSize: layout.embeddingTable?.dims[0] ?? declared.vocabSize,
      dtype: DATA_TYPE_NAMES[elemType] ?? String(elemType),
      attention: attentionPathOf(layout),
      sizeBytes: source.length + dataSize,
      hasTokenizer: files.tokenizer !== null,
      contextLength: declared.contextLength,
      slidingWindowLayers: declared.slidingWindowLayers,
      torchDtype: declared.torchDtype,
      layout: files.checkpoint?.layout ?? graphLayout(matchedLayout(layout), declared),
      ...checkpointFields(files),
    };
  } finally {
    source.close();
  }
}

function checkpointFields(files: ModelFiles): Partial<ModelInspection> {
  const built = files.checkpoint;
  if (!built) return {};
  const hub = built.hub && { hubId: `${built.hub.repoId}${built.hub.revision ? `@${built.hub.revision}` : ''}`, commit: built.hub.commit };
  return { name: built.hub?.repoId ?? basename(files.folder), format: 'hf-checkpoint', folder: built.folder, ...hub, weightFiles: built.weightFiles, builtGraph: built.onnx };
}

const SKIPPED_FOLDERS = new Set(['node_modules', '.git', '.cache', 'out', 'dist']);

/** Folders under `root` (to `maxDepth` levels) that hold an .onnx model or a safetensors checkpoint, for the explorer's model list. */
export function findModelFolders(root: string, maxDepth = 4): string[] {
  const found: string[] = [];
  const visit = (folder: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    const names = new Set(entries.filter((entry) => !entry.isDirectory()).map((entry) => entry.name));
    const checkpoint = names.has('config.json') && (names.has(SINGLE_FILE) || names.has(INDEX_FILE));
    if (checkpoint || [...names].some((name) => name.endsWith('.onnx') && !name.includes('.sinklens'))) found.push(folder);
    if (depth >= maxDepth) return;
    for (const entry of entries) {
      if (entry.isDirectory() && !SKIPPED_FOLDERS.has(entry.name) && !entry.name.startsWith('.')) visit(join(folder, entry.name), depth + 1);
    }
  };
  visit(root, 0);
  return found;
}
