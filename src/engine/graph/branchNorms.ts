/**
 * Where a block's branch normalises, read from the graph: before it (its projections read the
 * stream through a norm, or read a fused norm's normalised copy of it), after it (a norm between
 * its last projection and the residual add: Gemma's sandwich, OLMo 2's post-norm), both, or
 * neither. A norm is any normalising operator (LayerNormalization, SimplifiedLayerNormalization,
 * RMSNormalization, the fused Skip… norms) or a decomposed one (its ReduceMean / ReduceL2). Only
 * values are followed: a Shape read (zeros_like, a view) carries no norm into the branch.
 */
import type { NormPlacement } from '../../protocol/layerLayout';
import type { Branch } from './decoderLayout';
import type { GraphIndex } from './graphIndex';
import { endsStreamPath, FUSED_ATTENTION, isWeightMatMul } from './residualSteps';

const NORMALISING = new Set([
  'LayerNormalization',
  'SimplifiedLayerNormalization',
  'RMSNormalization',
  'SkipLayerNormalization',
  'SkipSimplifiedLayerNormalization',
  'ReduceMean',
  'ReduceL2',
  'ReduceSumSquare',
  'LpNormalization',
  'MeanVarianceNormalization',
]);
const SHAPE_ONLY = new Set(['Shape', 'Size']);

export function normPlacement(index: GraphIndex, branch: Branch): NormPlacement {
  const stream = new Set(branch.stream);
  const primary = new Set(branch.primary);
  const body = index.nodesBetween(stream, branch.output);
  // The branch's readers of the stream: its projections, or a fused attention operator that projects itself (input 0).
  const pre = body.some((node) => {
    const read = FUSED_ATTENTION.has(node.opType) ? node.inputs[0] : isWeightMatMul(index, node) ? node.inputs.find((input) => input && !index.isStatic(input)) : undefined;
    return read !== undefined && readsThroughNorm(index, read, stream, primary);
  });
  const post = normBeforeAdd(index, branch.output, stream);
  return pre && post ? 'sandwich' : pre ? 'pre' : post ? 'post' : 'none';
}

/** Whether a path from the stream to `tensor` passes a norm, or starts at the normalised copy a fused norm computes beside the stream. */
function readsThroughNorm(index: GraphIndex, tensor: string, stream: ReadonlySet<string>, primary: ReadonlySet<string>): boolean {
  const known = new Map<string, { reaches: boolean; normed: boolean }>();
  const visit = (current: string): { reaches: boolean; normed: boolean } => {
    if (stream.has(current)) return { reaches: true, normed: !primary.has(current) };
    const remembered = known.get(current);
    if (remembered) return remembered;
    known.set(current, { reaches: false, normed: false }); // a cycle reaches nothing new
    const node = index.isStatic(current) ? undefined : index.producer.get(current);
    if (!node || endsStreamPath(node) || SHAPE_ONLY.has(node.opType)) return { reaches: false, normed: false };
    const paths = node.inputs.filter(Boolean).map(visit);
    const reaches = paths.some((path) => path.reaches);
    const result = { reaches, normed: paths.some((path) => path.reaches && path.normed) || (reaches && NORMALISING.has(node.opType)) };
    known.set(current, result);
    return result;
  };
  return visit(tensor).normed;
}

/** Whether a norm sits between the branch's projections and its output. */
function normBeforeAdd(index: GraphIndex, output: string, stream: ReadonlySet<string>): boolean {
  const seen = new Set<string>();
  const stack = [output];
  while (stack.length > 0) {
    const current = stack.pop()!;
    if (stream.has(current) || seen.has(current) || index.isStatic(current)) continue;
    seen.add(current);
    const node = index.producer.get(current);
    if (!node || endsStreamPath(node) || SHAPE_ONLY.has(node.opType)) continue;
    if (NORMALISING.has(node.opType)) return true;
    stack.push(...node.inputs.filter(Boolean));
  }
  return false;
}
