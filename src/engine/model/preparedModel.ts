/**
 * Reads an ONNX decoder's structure, finds its layout and writes the probed copy that onnxruntime
 * loads by path, into a cache folder (the user's model folder is never written to). Only the graph
 * structure is read into memory; inline weights are copied file to file in bounded chunks, and
 * external data files are hard-linked beside the probed copy (ORT resolves them relative to the
 * model file and refuses symlinks), copied only where a link is impossible.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SinkLensError, UnsupportedGraphError } from '../errors';
import { DecoderLayout, findDecoderLayout } from '../graph/decoderLayout';
import { firstBfloat16Arithmetic } from '../graph/bfloat16Compute';
import { attentionPathOf } from '../graph/operatorProbabilities';
import { buildProbeEdits } from '../graph/probes';
import { TensorTypes } from '../graph/tensorTypes';
import { ByteSource, FileSource } from '../onnx/byteSource';
import { ModelPiece, rewriteModel, writeModel } from '../onnx/encode';
import { DATA_TYPE_NAMES, DataType, OnnxFormatError, OnnxModel, ValueInfo, externalDataLocations, parseModel } from '../onnx/proto';
import { WireFormatError } from '../onnx/wire';
import { askGraph, FeedQuestions } from '../inputFeeds';
import type { AttentionPath } from '../../protocol/report';
import { cacheWriteError, defaultCacheFolder, linkOrCopy, publishFolder } from './cacheFiles';
import { matchedLayout, type MatchedLayout } from './graphLayout';

export { defaultCacheFolder } from './cacheFiles';

/**
 * The parts of a prepared model that running and describing it need. A PreparedModel has them
 * with the whole parsed graph behind them; a model opened from the cache (model/openCache.ts) has
 * only these, read back from a file instead of parsed from the model.
 */
export interface ProbedModel {
  model: {
    graph: { inputs: ValueInfo[]; outputs: ValueInfo[]; initializers: { has(name: string): boolean } };
    metadata: Map<string, string>;
  };
  layout: {
    idsInput: string;
    embeddingTable: { dims: number[] } | null;
    residuals: readonly string[];
    learnedPositions: boolean;
    /** The depth of each residual tensor (0, 0.5, 1, …; a parallel block has no l + 0.5). */
    depths: readonly number[];
    layers: readonly { mlpActivation: string | null; projectionWidths: number[] }[];
  };
  /** The layer layout the graph shows (model/graphLayout.ts). */
  matchedLayout: MatchedLayout;
  /** How the inputs besides the ids are fed: asked of the graph, or answered from the open cache. */
  feeds: FeedQuestions;
  /** Element type of the residual stream (the embedding table's type). */
  elemType: number;
  dtype: string;
  /** How attention probabilities are obtained: a Softmax in the graph, a fused operator's own output, or recomputed beside it. */
  attentionPath: AttentionPath;
  /** The probed copy onnxruntime loads. */
  probedPath: string;
  /** Whether the model computes in bfloat16 (operators the CPU provider has no bfloat16 kernel for). */
  computesInBfloat16: boolean;
  /** Whether the probed copy computes that bfloat16 arithmetic in float32 instead (graph/bfloat16Compute.ts). */
  bfloat16InFloat32: boolean;
}

export interface PreparedModel extends ProbedModel {
  model: OnnxModel;
  layout: DecoderLayout;
}

export interface PrepareOptions {
  cacheFolder?: string;
  /** Also output P·V of recomputed attention next to the fused operator's own output (tests). */
  verifyRecomputation?: boolean;
  /** Recompute the probabilities even where a fused operator can output them (tests). */
  recompute?: boolean;
  /**
   * For the CPU provider, which has no bfloat16 arithmetic: a model that computes in bfloat16 is
   * computed in float32 from its bfloat16 weights. Other models are unaffected.
   */
  bfloat16InFloat32?: boolean;
}

export function prepareModel(onnxPath: string, options: PrepareOptions = {}): PreparedModel {
  const cacheFolder = options.cacheFolder ?? defaultCacheFolder();
  const stat = statSync(onnxPath);
  if (stat.size === 0) throw new SinkLensError('model', 'empty-model', `${basename(onnxPath)} is empty (0 bytes); re-export or re-download the model`);
  const source = new FileSource(onnxPath);
  try {
    const { model, layout, elemType, pieces, computesInBfloat16, bfloat16InFloat32 } = probedStructure(source, basename(onnxPath), options);
    const external = externalDataLocations(model.graph);
    for (const location of external) {
      if (!existsSync(join(dirname(onnxPath), location))) {
        throw new SinkLensError('model', 'missing-external-data', `${basename(onnxPath)} keeps its weights in '${location}', which is not beside it; copy that file next to the model`);
      }
    }
    // The cache key covers the source file and every byte we add, so a changed probe never reuses a stale copy.
    const folder = join(cacheFolder, cacheKey(onnxPath, stat.size, stat.mtimeMs, pieces));
    const probedPath = join(folder, 'model.onnx');
    if (!existsSync(probedPath)) {
      try {
        publishFolder(
          folder,
          (temporary) => {
            for (const location of external) linkOrCopy(join(dirname(onnxPath), location), join(temporary, location));
            writeModel(source, pieces, join(temporary, 'model.onnx'));
          },
          (written) => existsSync(join(written, 'model.onnx')),
        );
      } catch (error) {
        throw cacheWriteError(error, 'the probed model', folder);
      }
    }
    const attentionPath = attentionPathOf(layout, options.recompute);
    return {
      model,
      layout,
      matchedLayout: matchedLayout(layout, options.recompute),
      elemType,
      dtype: DATA_TYPE_NAMES[elemType] ?? String(elemType),
      attentionPath,
      probedPath,
      computesInBfloat16,
      bfloat16InFloat32,
      feeds: askGraph(layout),
    };
  } finally {
    source.close();
  }
}

/** Parses a model and builds its probed copy (as pieces to write); every failure is a SinkLensError. */
export function probedStructure(source: ByteSource, name: string, options: PrepareOptions = {}) {
  const model = parseOnnx(source, name);
  const layout = findLayout(model);
  const elemType = layout.embeddingTable?.dataType || DataType.Float;
  const computesInBfloat16 = firstBfloat16Arithmetic(layout.graph, new TensorTypes(layout.graph)) !== null;
  const bfloat16InFloat32 = computesInBfloat16 && (options.bfloat16InFloat32 ?? false);
  let pieces: ModelPiece[];
  try {
    const probeOptions = { verifyRecomputation: options.verifyRecomputation ?? false, recompute: options.recompute, bfloat16InFloat32 };
    pieces = rewriteModel(model, buildProbeEdits(model, layout, elemType, probeOptions));
  } catch (error) {
    if (error instanceof SinkLensError) throw error;
    throw new UnsupportedGraphError(`the probes could not be added (${(error as Error).message})`);
  }
  return { model, layout, elemType, pieces, computesInBfloat16, bfloat16InFloat32 };
}

function parseOnnx(source: ByteSource, name: string): OnnxModel {
  try {
    return parseModel(source);
  } catch (error) {
    // Whatever a damaged file makes the reader trip over, the user's remedy is the same.
    const reason = error instanceof WireFormatError || error instanceof OnnxFormatError ? error.message : `unexpected structure: ${(error as Error).message}`;
    throw new SinkLensError('model', 'corrupt-model', `${name} is not a readable ONNX model (${reason}); the file may be truncated or not ONNX: re-export it`);
  }
}

function findLayout(model: OnnxModel): DecoderLayout {
  try {
    return findDecoderLayout(model.graph);
  } catch (error) {
    if (error instanceof SinkLensError) throw error;
    throw new UnsupportedGraphError(`the graph could not be followed (${error instanceof Error ? error.message : String(error)})`);
  }
}

function cacheKey(path: string, size: number, mtimeMs: number, pieces: ModelPiece[]): string {
  const hash = createHash('sha256').update(`${path}\0${size}\0${mtimeMs}`);
  for (const piece of pieces) hash.update(piece instanceof Uint8Array ? piece : `\0${piece.start}-${piece.end}\0`);
  return hash.digest('hex').slice(0, 24);
}
