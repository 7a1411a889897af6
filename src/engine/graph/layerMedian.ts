/**
 * The exact lower median of |h| over a whole layer output (all positions × dims), per batch row,
 * inside the graph: Sun et al.'s reference magnitude for massive activations. torch.median returns
 * the lower of the two middle values, the element of rank ⌊(n−1)/2⌋ in ascending order.
 *
 * A TopK over the whole output would do, but onnxruntime's TopK costs ~20-50 ms of CPU per million
 * values whatever k is: on the 24-layer bench fixture at T = 2048 the analysis took 1.25x the
 * plain pass's CPU time with it, 1.16x with this selection (same run, a loaded machine). The
 * rank is found by selection: sort a strided sample of the row (a few thousand values), take a
 * bracket [lo, hi] around the rank's place in it (4 standard deviations of a sample quantile
 * either side, and 2 values to spare), count the values below lo and above hi, keep only the
 * values inside (Compress: ~6 % of the row) and take the rank among them with TopK. A bracket that
 * misses the rank (a sample that does not represent its row, or a tie that covers the bracket)
 * keeps the whole row instead: the answer stays exact, only that row costs more. Counts are exact:
 * float32 sums over one position's dims (< 2^24), int64 across positions. Single-threaded on the
 * same fixture, the medians of all 49 depths add 5 % to the analysis at T = 2048; a second
 * selection round before the TopK cost more in nodes than it saved in work.
 *
 * It runs as a Loop over the batch rows, one row at a time. The body is a subgraph: onnxruntime's
 * session creation (optimizations, memory planning) costs less for many small graphs than for the
 * same nodes in one big one (see graph/probeBody.ts). The Loop carries one element of `values`
 * through unchanged: where the graph fixes its shapes, the trip count is a constant, and
 * onnxruntime's constant folding would otherwise take the Loop (whose only explicit inputs are then
 * constant) for foldable and fail on the outer value the body reads ("Loop vector::reserve").
 */
import { DataType } from '../onnx/proto';
import { EditBuilder, graph, int } from './editBuilder';

/** Values sampled per row (about): sorting them costs ~0.3 ms. */
const SAMPLE = 4096;

/** `values`: [B, T, D] float32 (D < 2^24). Returns [B] float32: each row's lower median of |values|. */
export function lowerMedianPerRow(edits: EditBuilder, values: string): string {
  const body = edits.body();
  const [iteration, condition, carried] = [body.name(), body.name(), body.name()];
  const row = body.node('Abs', [body.node('Gather', [values, iteration], { axis: int(0) })]); // [T, D]
  const { candidates, rank } = bracket(body, row);
  const [smallest] = body.nodeOutputs('TopK', [candidates, body.node('Add', [rank, body.int64([1])])], 2, { axis: int(0), largest: int(0), sorted: int(0) });
  const median = body.reduce('ReduceMax', smallest, [0], false);
  const keepGoing = body.node('Identity', [condition]);
  const carriedOut = body.node('Identity', [carried]);
  const scalar = (name: string, elemType: number) => ({ name, elemType, shape: [] });
  const loop = {
    name: `sinklens/${edits.scope}/median`,
    nodes: body.nodes,
    initializers: body.initializers,
    inputs: [scalar(iteration, DataType.Int64), scalar(condition, DataType.Bool), { name: carried, elemType: DataType.Float, shape: [1, 1, 1] }],
    outputs: [scalar(keepGoing, DataType.Bool), { name: carriedOut, elemType: DataType.Float, shape: [1, 1, 1] }, scalar(median, DataType.Float)],
  };
  const rows = edits.node('Gather', [edits.node('Shape', [values]), edits.int64([0], [])], { axis: int(0) });
  const firstValue = edits.node('Slice', [values, edits.int64([0, 0, 0]), edits.int64([1, 1, 1])]);
  return edits.nodeOutputs('Loop', [rows, '', firstValue], 2, { body: graph(loop) })[1];
}

/** Exact count of the true values of a [T, D] mask, as [1] int64. */
function countTrue(edits: EditBuilder, mask: string): string {
  const perPosition = edits.reduce('ReduceSum', edits.node('Cast', [mask], { to: int(DataType.Float) }), [1], false);
  return edits.reduce('ReduceSum', edits.node('Cast', [perPosition], { to: int(DataType.Int64) }), [0], true);
}

/** The values of `row` ([T, D]) around its lower median, flattened, and the median's rank ([1] int64) among them. */
function bracket(edits: EditBuilder, row: string): { candidates: string; rank: string } {
  const flat = edits.node('Reshape', [row, edits.int64([-1])]);
  const length = edits.node('Shape', [flat]);
  const rank = edits.node('Div', [edits.node('Sub', [length, edits.int64([1])]), edits.int64([2])]);
  const float = (tensor: string) => edits.node('Cast', [tensor], { to: int(DataType.Float) });
  // An odd stride keeps the sample from landing on the same few dims of a power-of-two width.
  const stride = edits.node('Add', [edits.node('Mul', [edits.node('Div', [length, edits.int64([2 * SAMPLE])]), edits.int64([2])]), edits.int64([1])]);
  const sample = edits.node('Slice', [flat, edits.int64([0]), length, edits.int64([0]), stride]);
  const sampleSize = edits.node('Shape', [sample]);
  const [sorted] = edits.nodeOutputs('TopK', [sample, sampleSize], 2, { axis: int(0), largest: int(0), sorted: int(1) });
  const sampleSizeF = float(sampleSize);
  const centre = edits.node('Div', [edits.node('Mul', [float(rank), sampleSizeF]), float(length)]);
  // A sample quantile's rank has a standard deviation of at most √m / 2.
  const halfWidth = edits.node('Add', [edits.node('Mul', [edits.node('Sqrt', [sampleSizeF]), edits.float([2])]), edits.float([2])]);
  const lowIndex = edits.node('Cast', [edits.node('Max', [edits.node('Floor', [edits.node('Sub', [centre, halfWidth])]), edits.float([0])])], { to: int(DataType.Int64) });
  const highIndex = edits.node('Cast', [edits.node('Min', [edits.node('Ceil', [edits.node('Add', [centre, halfWidth])]), edits.node('Sub', [sampleSizeF, edits.float([1])])])], {
    to: int(DataType.Int64),
  });

  const below = edits.node('Less', [row, edits.node('Gather', [sorted, lowIndex], { axis: int(0) })]);
  const above = edits.node('Greater', [row, edits.node('Gather', [sorted, highIndex], { axis: int(0) })]);
  const belowCount = countTrue(edits, below);
  const insideCount = edits.node('Sub', [edits.node('Sub', [length, belowCount]), countTrue(edits, above)]);
  const rankInside = edits.node('Sub', [rank, belowCount]);
  const hit = edits.node('And', [edits.node('Not', [edits.node('Less', [rankInside, edits.int64([0])])]), edits.node('Less', [rankInside, insideCount])]);
  // A missed bracket keeps the whole row.
  const keep = edits.node('Or', [edits.node('Not', [edits.node('Or', [below, above])]), edits.node('Not', [hit])]);
  const candidates = edits.node('Compress', [flat, edits.node('Reshape', [keep, edits.int64([-1])])], { axis: int(0) });
  return { candidates, rank: edits.node('Where', [hit, rankInside, rank]) };
}
