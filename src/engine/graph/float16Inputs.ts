/**
 * float16 graph inputs, declared float32 in the probed copy and cast to float16 where they enter.
 * onnxruntime-node 1.30 on Node 24 (VS Code's and code-server's extension host) turns float16
 * input data into a Float16Array its native binding cannot read ("not enough space: expected 32,
 * got 0"); float32 data works everywhere. What Sink Lens feeds there (mask values 0, 1 and
 * float16's lowest, or an empty cache) is exact in float16, so the cast changes nothing.
 */
import { DataType } from '../onnx/proto';
import type { GraphEdits, NodeEdit } from '../onnx/encode';
import { castInputsFromFloat32 } from './bfloat16Boundary';
import type { EditBuilder } from './editBuilder';
import type { GraphIndex } from './graphIndex';

/** Adds each float16 input to `redeclared.inputs`; runs after the probes, like the bfloat16 boundary. */
export function widenFloat16Inputs(edits: EditBuilder, graph: GraphIndex, nodeEdits: Map<number, NodeEdit>, redeclared: NonNullable<GraphEdits['redeclared']>): void {
  edits.scope = 'float16';
  castInputsFromFloat32(edits, graph, nodeEdits, DataType.Float16, redeclared);
}
