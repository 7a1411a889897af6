/**
 * ONNX `Attention` (opset 23) can hand out its own probabilities: with qk_matmul_output_mode = 3,
 * its optional output 3 is softmax(scale · Q Kᵀ + mask) [B, H, Tq, Tk], grouped KV heads included.
 * Where the model leaves output 3 free (or already takes it in that mode), the probed copy sets the
 * mode and reads that output, and nothing is recomputed. Checked on onnxruntime 1.30's CPU kernel
 * in float32 and float16, with 3-D (q_num_heads / kv_num_heads) and 4-D inputs.
 */
import type { AttentionPath } from '../../protocol/report';
import type { NodeEdit } from '../onnx/encode';
import type { OnnxNode } from '../onnx/proto';
import type { DecoderLayout, DecoderLayer } from './decoderLayout';
import { int } from './editBuilder';

const PROBABILITIES_MODE = 3;

export function canOutputProbabilities(node: OnnxNode): boolean {
  if (node.opType !== 'Attention' || node.domain !== '') return false;
  const mode = Number(node.attributes.get('qk_matmul_output_mode')?.i ?? 0);
  return !node.outputs[3] || mode === PROBABILITIES_MODE;
}

/** The name of the operator's probability output, adding it (and the mode) to the node's edit. */
export function takeOperatorProbabilities(node: OnnxNode, nodeEdits: Map<number, NodeEdit>): string {
  if (node.outputs[3]) return node.outputs[3];
  const edit = nodeEdits.get(node.index) ?? {};
  const outputs = [...(edit.outputs ?? node.outputs)];
  while (outputs.length < 3) outputs.push(''); // present_key / present_value stay unnamed
  outputs[3] = `sinklens/attention/${node.index}/probabilities`;
  edit.outputs = outputs;
  edit.attributes = { ...edit.attributes, qk_matmul_output_mode: int(PROBABILITIES_MODE) };
  nodeEdits.set(node.index, edit);
  return outputs[3];
}

/** How one layer's probabilities are obtained; `recompute` forces recomputation (tests). */
export function layerAttentionPath(layer: DecoderLayer, recompute = false): AttentionPath {
  if (layer.attention.kind === 'softmax') return 'softmax';
  return !recompute && canOutputProbabilities(layer.attention.node) ? 'fused-qk-output' : 'recomputed';
}

/** The model's path for the report: the least direct one any layer takes. */
export function attentionPathOf(layout: DecoderLayout, recompute = false): AttentionPath {
  const paths = new Set(layout.layers.map((layer) => layerAttentionPath(layer, recompute)));
  return paths.has('recomputed') ? 'recomputed' : paths.has('fused-qk-output') ? 'fused-qk-output' : 'softmax';
}
