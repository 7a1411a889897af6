/**
 * Reads an ONNX decoder, finds its layout and returns the probed copy onnxruntime will load. The
 * original file is never modified. When the weights live in an external data file, the probed
 * graph is written beside it (ORT resolves data locations relative to the model file), so the
 * weights are never read into JavaScript memory.
 */
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SinkLensError, UnsupportedGraphError } from '../errors';
import { DecoderLayout, findDecoderLayout } from '../graph/decoderLayout';
import { buildProbeEdits } from '../graph/probes';
import { concatChunks, rewriteModel } from '../onnx/encode';
import { DATA_TYPE_NAMES, DataType, OnnxFormatError, OnnxModel, externalDataLocations, parseModel } from '../onnx/proto';
import { WireFormatError } from '../onnx/wire';

export interface PreparedModel {
  model: OnnxModel;
  layout: DecoderLayout;
  /** Element type of the residual stream (the embedding table's type). */
  elemType: number;
  dtype: string;
  /** What onnxruntime should load: the probed bytes, or the path of a probed copy. */
  probed: Uint8Array | string;
}

export function prepareModel(onnxPath: string): PreparedModel {
  const model = readOnnx(onnxPath);
  let layout: DecoderLayout;
  try {
    layout = findDecoderLayout(model.graph);
  } catch (error) {
    if (error instanceof SinkLensError) throw error;
    throw new UnsupportedGraphError(`the graph could not be followed (${error instanceof Error ? error.message : String(error)})`);
  }
  const elemType = layout.embeddingTable?.dataType || DataType.Float;
  const chunks = rewriteModel(model, buildProbeEdits(model, layout, elemType));
  const external = externalDataLocations(model.graph);
  const probed = external.size === 0 ? concatChunks(chunks) : writeBesideData(onnxPath, chunks);
  return { model, layout, elemType, dtype: DATA_TYPE_NAMES[elemType] ?? String(elemType), probed };
}

function readOnnx(path: string): OnnxModel {
  const size = statSync(path).size;
  if (size === 0) throw new SinkLensError('model', 'empty-model', `${basename(path)} is empty (0 bytes); re-export or re-download the model`);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new SinkLensError('model', 'unreadable-model', `cannot read ${basename(path)}: ${(error as Error).message}`);
  }
  try {
    return parseModel(bytes);
  } catch (error) {
    if (error instanceof WireFormatError || error instanceof OnnxFormatError || error instanceof RangeError) {
      throw new SinkLensError(
        'model',
        'corrupt-model',
        `${basename(path)} is not a readable ONNX model (${(error as Error).message}); the file may be truncated or not ONNX: re-export it`,
      );
    }
    throw error;
  }
}

function writeBesideData(onnxPath: string, chunks: Uint8Array[]): string {
  const target = join(dirname(onnxPath), `${basename(onnxPath, '.onnx')}.sinklens-probed.onnx`);
  try {
    const fd = openSync(target, 'w');
    try {
      for (const chunk of chunks) writeSync(fd, chunk);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw new SinkLensError(
      'model',
      'folder-not-writable',
      `the model keeps its weights in an external data file, and Sink Lens must write its probed graph beside it, but ${dirname(onnxPath)} is not writable (${(error as NodeJS.ErrnoException).code}); copy the model folder somewhere writable`,
    );
  }
  return target;
}
