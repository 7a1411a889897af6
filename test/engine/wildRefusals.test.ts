/**
 * What Sink Lens refuses in exporter graphs from the wild, as the CLI says it: one exact line and
 * exit 3 (the model) or 4 (onnxruntime), with the prompt's real shape and all of onnxruntime's
 * message. The graphs are the wild fixtures (tools/torch_ref/wild.py), some edited here with the
 * onnx package so that one thing in them is out of reach.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { asSinkLensError } from '../../src/engine/errors';
import { encodeNode, encodeValueInfo } from '../../src/engine/onnx/encode';
import { DataType } from '../../src/engine/onnx/proto';
import { WireWriter } from '../../src/engine/onnx/wire';
import { assertOneLineError, cli } from '../support/cliRun';
import { fixture } from '../support/fixtures';
import { PYTHON, torchMissing } from '../support/torchReference';

/** Adds an input the model really reads: logits + token_type_ids (as float, on a new axis). */
const TOKEN_TYPES = `
import sys, onnx
from onnx import helper, TensorProto
m = onnx.load(sys.argv[1]); g = m.graph
producer = next(n for n in g.node if "logits" in n.output)
producer.output[list(producer.output).index("logits")] = "logits_raw"
g.input.append(helper.make_tensor_value_info("token_type_ids", TensorProto.INT64, ["batch", "seq"]))
g.initializer.append(helper.make_tensor("types_axis", TensorProto.INT64, [1], [2]))
g.node.extend([helper.make_node("Cast", ["token_type_ids"], ["types_float"], name="types_cast", to=TensorProto.FLOAT),
               helper.make_node("Unsqueeze", ["types_float", "types_axis"], ["types_wide"], name="types_unsqueeze"),
               helper.make_node("Add", ["logits_raw", "types_wide"], ["logits"], name="types_add")])
onnx.save(m, sys.argv[2])
`;

/** Puts a Sin between the mask input and everything that reads it. */
const MASK_THROUGH_SIN = `
import sys, onnx
from onnx import helper
m = onnx.load(sys.argv[1]); g = m.graph
for n in g.node:
    for i, name in enumerate(n.input):
        if name == "attention_mask":
            n.input[i] = "mask_sin"
g.node.insert(0, helper.make_node("Sin", ["attention_mask"], ["mask_sin"], name="mask_sin"))
onnx.save(m, sys.argv[2])
`;

/** The residual stream after layer 0 (gpt2-random's '/model/Add_2_output_0') detoured through Mul(x, 1), which Sink Lens does not follow. */
const STREAM_DETOUR = `
import sys, onnx
from onnx import helper, TensorProto
m = onnx.load(sys.argv[1]); g = m.graph
h1 = "/model/Add_2_output_0"
assert any(h1 in n.output and n.op_type == "Add" for n in g.node)
for n in g.node:
    for i, name in enumerate(n.input):
        if name == h1:
            n.input[i] = "detour"
g.initializer.append(helper.make_tensor("detour_one", TensorProto.FLOAT, [], [1.0]))
g.node.append(helper.make_node("Mul", [h1, "detour_one"], ["detour"], name="detour"))
onnx.save(m, sys.argv[2])
`;

/** A copy of the fixture's model.onnx (without config.json) edited by `code`, in a folder of its own. */
function edited(name: Parameters<typeof fixture>[0], code: string | null): string {
  const folder = mkdtempSync(join(tmpdir(), 'sink-lens-wild-refusal-'));
  const source = join(fixture(name), 'model.onnx');
  if (code === null) copyFileSync(source, join(folder, 'model.onnx'));
  else execFileSync(PYTHON, ['-c', code, source, join(folder, 'model.onnx')], { stdio: ['ignore', 'ignore', 'inherit'] });
  return folder;
}

const escaped = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

describe('refusals in exporter graphs from the wild', { skip: torchMissing() ?? false }, () => {
  it('a fixed-length export and a prompt of another length: exit 3, the fixed length and the prompt length', () => {
    assertOneLineError(
      cli('analyze', '--model', fixture('gpt2-fixed-length'), '--ids', '0,1,2,3,4,5,6,7,8,9', '--device', 'cpu'),
      3,
      escaped("sink-lens: this model's input 'input_ids' has a fixed length of 16 tokens, but the prompt has 10; give exactly 16 tokens, or re-export the model with a dynamic sequence axis"),
    );
  });

  it('an input that is none of the known ones: exit 3, naming it with its type and shape and what Sink Lens needs', () => {
    assertOneLineError(
      cli('analyze', '--model', edited('gpt2-random', TOKEN_TYPES), '--ids', '0,1,2', '--device', 'cpu'),
      3,
      escaped(
        "sink-lens: unsupported graph: input 'token_type_ids' (int64 [batch, seq]) is not one Sink Lens can feed: it needs token ids, an attention mask ([batch, sequence] ones, or a causal [batch, 1, sequence, sequence] mask), position ids, an empty past key/value cache or use_cache_branch; export the model without 'token_type_ids'",
      ),
    );
  });

  it('a 4-D mask whose use cannot be followed: exit 3, naming the input and the node', () => {
    assertOneLineError(
      cli('analyze', '--model', edited('gpt2-mask-additive', MASK_THROUGH_SIN), '--ids', '0,1,2', '--device', 'cpu'),
      3,
      escaped(
        "sink-lens: unsupported graph: input 'attention_mask' (float32 [batch, 1, seq, seq]) is a mask Sink Lens cannot fill: it cannot be followed through node 'mask_sin' (Sin): an operator Sink Lens does not evaluate on masks; export the model with a [batch, sequence] attention_mask (or none)",
      ),
    );
  });

  it('a residual stream that goes on in a way Sink Lens cannot follow: exit 3, naming the attention it would drop', () => {
    assertOneLineError(
      cli('analyze', '--model', edited('gpt2-random', STREAM_DETOUR), '--ids', '0,1,2', '--device', 'cpu'),
      3,
      escaped(
        "sink-lens: unsupported graph: expected every attention layer on the residual stream, found attention at node '/model/attn_1/Softmax' (Softmax) after the stream's last step Sink Lens could follow, to '/model/Add_2_output_0' after layer 0",
      ),
    );
  });

  it('a graph with only inputs_embeds: exit 3, naming inputs_embeds and the ids Sink Lens needs', () => {
    const graph = new WireWriter()
      .messageField(1, encodeNode({ opType: 'Relu', inputs: ['inputs_embeds'], outputs: ['logits'], name: 'relu' }))
      .messageField(11, encodeValueInfo({ name: 'inputs_embeds', elemType: DataType.Float, shape: ['batch', 'seq', 64] }))
      .messageField(11, encodeValueInfo({ name: 'attention_mask', elemType: DataType.Int64, shape: ['batch', 'seq'] }))
      .messageField(12, encodeValueInfo({ name: 'logits', elemType: DataType.Float, shape: ['batch', 'seq', 64] }));
    const model = new WireWriter().varintField(1, 8).messageField(7, graph).messageField(8, new WireWriter().stringField(1, '').varintField(2, 17)).finish();
    const folder = mkdtempSync(join(tmpdir(), 'sink-lens-wild-refusal-'));
    writeFileSync(join(folder, 'model.onnx'), model);
    assertOneLineError(
      cli('analyze', '--model', folder, '--ids', '0,1,2', '--device', 'cpu'),
      3,
      escaped(
        "sink-lens: unsupported graph: expected an integer token-id input (input_ids) that selects rows of an embedding table, found inputs 'inputs_embeds' (float32 [batch, seq, 64]), 'attention_mask' (int64 [batch, seq]); Sink Lens needs the token ids, not 'inputs_embeds': export the model with an input_ids input",
      ),
    );
  });

  it("onnxruntime's failure says the prompt's shape and all of its message: exit 4", () => {
    // Without config.json nothing bounds the prompt, and GPT-2's 1024 learned positions end at 1023.
    const ids = Array.from({ length: 1030 }, (_, i) => i % 256).join(',');
    const result = cli('analyze', '--model', edited('gpt2-conv1d', null), '--ids', ids, '--device', 'cpu');
    assertOneLineError(result, 4, /^sink-lens: onnxruntime could not run the model on 1 x 1030 tokens: .*Gather.*idx=1024 must be within the inclusive range \[-1024,1023\]$/);
  });

  it("onnxruntime's messages over several lines are kept whole, on one line", () => {
    const message = 'Got invalid dimensions for input: input_ids for the following indices\n index: 1 Got: 14 Expected: 8\n Please fix either the inputs/outputs or the model.';
    assert.equal(
      asSinkLensError(new Error(message)).message,
      'Got invalid dimensions for input: input_ids for the following indices index: 1 Got: 14 Expected: 8 Please fix either the inputs/outputs or the model.',
    );
  });
});
