/**
 * What opening a model learns, kept across processes: the parts of its parsed structure that
 * running and describing it need (ProbedModel, with how its inputs are fed), where its probed copy
 * is, an onnxruntime-optimized form of that copy, and what the graph or a check run told (head
 * count, hidden size, the layout's report warnings). A second CLI run of the same model then skips
 * the protobuf parse, the probe building, the graph optimizations and any check run: what is left
 * is onnxruntime loading an already-optimized graph.
 *
 * An entry is keyed by the model file's identity (path, size, mtime, inode), the options it was
 * prepared with, the engine's own build and onnxruntime's version; any change makes another key.
 * Entries are written through a temporary file and renamed, carry a checksum of their content, and
 * name the size of every file they point to: an entry that fails any check (half-written, edited,
 * its files gone or changed) is ignored and rebuilt, never read.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { ReportWarning } from '../../protocol/report';
import { askRecorded, FeedAnswers } from '../inputFeeds';
import type { ValueInfo } from '../onnx/proto';
import { writeFileAtomically } from './cacheFiles';
import type { ProbedModel } from './preparedModel';

const ENTRY_VERSION = 3;

/** What the graph (or, where it cannot say, a check run) told about the model. */
export interface OpenFindings {
  heads: number;
  hiddenSize: number;
  /** The report warnings the model's layout calls for (a sliced residual stream, say). */
  warnings: ReportWarning[];
}

/** The scalar facts of a ProbedModel, kept as they are. */
type ProbedFacts = Pick<ProbedModel, 'elemType' | 'dtype' | 'attentionPath' | 'probedPath' | 'computesInBfloat16' | 'bfloat16InFloat32' | 'matchedLayout'>;

/** A ProbedModel as JSON: maps and sets as arrays. */
interface ProbedModelJson extends ProbedFacts {
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializerInputs: string[];
  metadata: [string, string][];
  idsInput: string;
  embeddingDims: number[] | null;
  residuals: string[];
  learnedPositions: boolean;
  depths: number[];
  layers: { mlpActivation: string | null; projectionWidths: number[] }[];
  feedAnswers: FeedAnswers;
}

interface EntryBody {
  version: number;
  key: string;
  structure: ProbedModelJson;
  probedSize: number;
  /** The onnxruntime-optimized probed copy (CPU), or null where none is kept. */
  optimized: { path: string; size: number } | null;
  findings: OpenFindings;
}

export interface CachedOpen {
  probed: ProbedModel;
  optimizedPath: string | null;
  findings: OpenFindings;
}

let buildId: string | undefined;

/**
 * The engine's own build: the bundle's bytes (dist/*.js), or the names, sizes and times of the
 * compiled engine files (out/, tests). A rebuilt engine never reads what an older one cached.
 */
export function engineBuildId(): string {
  if (buildId) return buildId;
  const hash = createHash('sha256');
  if (basename(__dirname) === 'dist') {
    hash.update(readFileSync(__filename));
  } else {
    const root = dirname(__dirname); // out/src/engine
    const visit = (folder: string): void => {
      for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const path = join(folder, entry.name);
        if (entry.isDirectory()) visit(path);
        else if (entry.name.endsWith('.js')) hash.update(`${path}\0${statSync(path).size}\0${statSync(path).mtimeMs}\0`);
      }
    };
    visit(root);
  }
  buildId = hash.digest('hex').slice(0, 16);
  return buildId;
}

/** The key of a model file's entry under the given preparation options; `onnxruntime`: its version. */
export function openCacheKey(onnxPath: string, options: object, onnxruntime: string): string {
  const stat = statSync(onnxPath);
  const identity = [onnxPath, stat.size, stat.mtimeMs, stat.ino, JSON.stringify(options), engineBuildId(), onnxruntime, cpus()[0]?.model ?? ''];
  return createHash('sha256')
    .update(`${ENTRY_VERSION}\0${identity.join('\0')}`)
    .digest('hex')
    .slice(0, 32);
}

const entryPath = (cacheFolder: string, key: string) => join(cacheFolder, 'opened', `${key}.json`);

/** Where to keep the optimized form of a probed copy (beside it). */
export function optimizedPathFor(probedPath: string, key: string): string {
  return join(dirname(probedPath), `optimized-${key.slice(0, 12)}.onnx`);
}

const fileSize = (path: string): number | null => {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
};

/** The entry for `key`, or null when there is none or it fails any check. */
export function readCachedOpen(cacheFolder: string, key: string): CachedOpen | null {
  const path = entryPath(cacheFolder, key);
  if (!existsSync(path)) return null;
  let body: EntryBody;
  try {
    const { checksum, body: parsed } = JSON.parse(readFileSync(path, 'utf8')) as { checksum: string; body: EntryBody };
    if (checksum !== checksumOf(parsed)) return null;
    body = parsed;
  } catch {
    return null;
  }
  if (body.version !== ENTRY_VERSION || body.key !== key) return null;
  if (fileSize(body.structure.probedPath) !== body.probedSize) return null;
  const optimized = body.optimized && fileSize(body.optimized.path) === body.optimized.size ? body.optimized.path : null;
  if (body.optimized && !optimized) return null;
  return { probed: fromJson(body.structure), optimizedPath: optimized, findings: body.findings };
}

export function writeCachedOpen(cacheFolder: string, key: string, probed: ProbedModel, optimizedPath: string | null, findings: OpenFindings): void {
  const probedSize = fileSize(probed.probedPath);
  const optimizedSize = optimizedPath ? fileSize(optimizedPath) : null;
  if (probedSize === null || (optimizedPath && optimizedSize === null)) return;
  const body: EntryBody = {
    version: ENTRY_VERSION,
    key,
    structure: toJson(probed),
    probedSize,
    optimized: optimizedPath ? { path: optimizedPath, size: optimizedSize! } : null,
    findings,
  };
  try {
    writeFileAtomically(entryPath(cacheFolder, key), JSON.stringify({ checksum: checksumOf(body), body }));
  } catch {
    // A cache that cannot be written costs the next run its parse, nothing else.
  }
}

function checksumOf(body: EntryBody): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

function toJson(probed: ProbedModel): ProbedModelJson {
  const { model, layout } = probed;
  return {
    inputs: model.graph.inputs,
    outputs: model.graph.outputs,
    initializerInputs: model.graph.inputs.filter((input) => model.graph.initializers.has(input.name)).map((input) => input.name),
    metadata: [...model.metadata],
    idsInput: layout.idsInput,
    embeddingDims: layout.embeddingTable?.dims ?? null,
    residuals: [...layout.residuals],
    learnedPositions: layout.learnedPositions,
    depths: [...layout.depths],
    layers: layout.layers.map((layer) => ({ mlpActivation: layer.mlpActivation, projectionWidths: layer.projectionWidths })),
    feedAnswers: probed.feeds.answers,
    ...facts(probed),
  };
}

function facts(probed: ProbedFacts): ProbedFacts {
  const { elemType, dtype, attentionPath, probedPath, computesInBfloat16, bfloat16InFloat32, matchedLayout } = probed;
  return { elemType, dtype, attentionPath, probedPath, computesInBfloat16, bfloat16InFloat32, matchedLayout };
}

function fromJson(json: ProbedModelJson): ProbedModel {
  return {
    model: { graph: { inputs: json.inputs, outputs: json.outputs, initializers: new Set(json.initializerInputs) }, metadata: new Map(json.metadata) },
    layout: {
      idsInput: json.idsInput,
      embeddingTable: json.embeddingDims ? { dims: json.embeddingDims } : null,
      residuals: json.residuals,
      learnedPositions: json.learnedPositions,
      depths: json.depths,
      layers: json.layers,
    },
    feeds: askRecorded(json.feedAnswers),
    ...facts(json),
  };
}
