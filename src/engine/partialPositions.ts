/** The report warning for residual depths that the graph computes at only some positions (graph/streamPositions.ts). */
import type { DecoderLayout } from './graph/decoderLayout';
import { describeSelection } from './graph/streamPositions';
import type { ReportWarning } from '../protocol/report';
import { depthOf } from './reportBuilder';

export function partialPositionsWarnings(layout: DecoderLayout): ReportWarning[] {
  const partial = layout.residualPositions.flatMap((selection, i) => (selection ? [{ depth: depthOf(i), selection }] : []));
  if (partial.length === 0) return [];
  const { selection } = partial[0];
  const depths = partial.map(({ depth }) => depth);
  const listed = depths.length === 1 ? `depth ${depths[0]}` : `depths ${depths.slice(0, -1).join(', ')} and ${depths.at(-1)}`;
  return [
    {
      code: 'partial-positions',
      message: `the graph computes ${listed} ${describeSelection(selection)} (its residual stream is sliced at node '${selection.node.name}'): norms there, and the MLP norms of the blocks computed there, are null at the other positions, and P0 quantities are null where position 0 is absent; attention covers every position`,
    },
  ];
}
