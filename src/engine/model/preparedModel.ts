/**
 * Reads an ONNX decoder's structure, finds its layout and writes the probed copy that onnxruntime
 * loads by path. Only the graph structure is read into memory; weights are copied file to file in
 * bounded chunks (inline weights) or not at all (external data), so preparing costs no more memory
 * than the plain model, and the original file is never modified.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { SinkLensError, UnsupportedGraphError } from '../errors';
import { DecoderLayout, findDecoderLayout } from '../graph/decoderLayout';
import { buildProbeEdits } from '../graph/probes';
import { FileSource } from '../onnx/byteSource';
import { rewriteModel, writeModel } from '../onnx/encode';
import { DATA_TYPE_NAMES, DataType, OnnxFormatError, OnnxModel, externalDataLocations, parseModel } from '../onnx/proto';
import { WireFormatError } from '../onnx/wire';

/** Bump when the probes change, so that cached probed models are rebuilt. */
const PROBE_VERSION = 1;

export interface PreparedModel {
  model: OnnxModel;
  layout: DecoderLayout;
  /** Element type of the residual stream (the embedding table's type). */
  elemType: number;
  dtype: string;
  /** The probed copy onnxruntime loads. */
  probedPath: string;
}

export function defaultCacheFolder(): string {
  return process.env.SINK_LENS_CACHE ?? join(tmpdir(), 'sink-lens-cache');
}

export function prepareModel(onnxPath: string, cacheFolder = defaultCacheFolder()): PreparedModel {
  const stat = statSync(onnxPath);
  if (stat.size === 0) throw new SinkLensError('model', 'empty-model', `${basename(onnxPath)} is empty (0 bytes); re-export or re-download the model`);
  const source = new FileSource(onnxPath);
  try {
    const model = parseOnnx(source, onnxPath);
    const layout = findLayout(model);
    const elemType = layout.embeddingTable?.dataType || DataType.Float;
    const external = externalDataLocations(model.graph);
    for (const location of external) {
      if (!existsSync(join(dirname(onnxPath), location))) {
        throw new SinkLensError('model', 'missing-external-data', `${basename(onnxPath)} keeps its weights in '${location}', which is not beside it; copy that file next to the model`);
      }
    }
    // ORT resolves external data relative to the model file, so such a model's probed copy lives beside it.
    const probedPath =
      external.size > 0
        ? join(dirname(onnxPath), `${basename(onnxPath, '.onnx')}.sinklens-v${PROBE_VERSION}.onnx`)
        : join(cacheFolder, `${stamp(onnxPath, stat.size, stat.mtimeMs)}.onnx`);
    if (!upToDate(probedPath, stat.mtimeMs)) {
      writeAtomically(probedPath, (temporary) => writeModel(source, rewriteModel(model, buildProbeEdits(model, layout, elemType)), temporary));
    }
    return { model, layout, elemType, dtype: DATA_TYPE_NAMES[elemType] ?? String(elemType), probedPath };
  } finally {
    source.close();
  }
}

function parseOnnx(source: FileSource, path: string): OnnxModel {
  try {
    return parseModel(source);
  } catch (error) {
    if (error instanceof WireFormatError || error instanceof OnnxFormatError || error instanceof RangeError) {
      throw new SinkLensError(
        'model',
        'corrupt-model',
        `${basename(path)} is not a readable ONNX model (${error.message}); the file may be truncated or not ONNX: re-export it`,
      );
    }
    throw error;
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

function stamp(path: string, size: number, mtimeMs: number): string {
  return createHash('sha256').update(`${path}\0${size}\0${mtimeMs}\0${PROBE_VERSION}`).digest('hex').slice(0, 24);
}

function upToDate(probedPath: string, sourceMtimeMs: number): boolean {
  return existsSync(probedPath) && statSync(probedPath).mtimeMs >= sourceMtimeMs;
}

/** Writes through a temporary name and renames, so a crash never leaves a half-written model to load. */
function writeAtomically(target: string, write: (temporary: string) => void): void {
  const temporary = `${target}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(target), { recursive: true });
    write(temporary);
    renameSync(temporary, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM' || code === 'ENOSPC') {
      throw new SinkLensError('model', 'cannot-write-probed-model', `cannot write the probed model to ${dirname(target)} (${code}); make it writable or set SINK_LENS_CACHE to a writable folder`);
    }
    throw error;
  }
}
