import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeNode, materialize, encodeTensor, encodeValueInfo, rewriteModel } from '../../src/engine/onnx/encode';
import { AttributeType, DataType, parseModel, parseTensorHeader, tensorValues } from '../../src/engine/onnx/proto';
import { WireWriter, fieldsOf, readPackedVarints } from '../../src/engine/onnx/wire';

function tinyModel(): Uint8Array {
  const graph = new WireWriter()
    .messageField(1, encodeNode({ opType: 'Relu', inputs: ['x'], outputs: ['y'], name: 'relu' }))
    .stringField(2, 'g')
    .messageField(5, encodeTensor({ name: 'w', dataType: DataType.Float, dims: [2], values: [1.5, -2] }))
    .messageField(11, encodeValueInfo({ name: 'x', elemType: DataType.Float, shape: ['batch', 2] }))
    .messageField(12, encodeValueInfo({ name: 'y', elemType: DataType.Float, shape: ['batch', 2] }));
  return new WireWriter()
    .varintField(1, 8)
    .stringField(2, 'test')
    .messageField(7, graph)
    .messageField(8, new WireWriter().stringField(1, '').varintField(2, 17))
    .messageField(14, new WireWriter().stringField(1, 'bos_token_id').stringField(2, '1'))
    .finish();
}

describe('ONNX wire reading and writing', () => {
  it('round-trips negative int64 varints and packed fields', () => {
    const bytes = new WireWriter().packedVarintField(1, [-1n, 0, 300, 2n ** 40n]).finish();
    const [field] = fieldsOf(bytes);
    assert.deepEqual(readPackedVarints(bytes, field.dataStart, field.dataEnd), [-1n, 0n, 300n, 2n ** 40n]);
  });

  it('parses what it writes: nodes, initializers, inputs, opsets, metadata', () => {
    const model = parseModel(tinyModel());
    assert.equal(model.irVersion, 8);
    assert.equal(model.opsets.get(''), 17);
    assert.equal(model.metadata.get('bos_token_id'), '1');
    assert.equal(model.graph.nodes[0].opType, 'Relu');
    assert.deepEqual(model.graph.inputs[0].shape, ['batch', 2]);
    const weight = model.graph.initializers.get('w')!;
    assert.deepEqual(weight.dims, [2]);
    assert.deepEqual(tensorValues(weight), [1.5, -2]);
  });

  it('reads int attributes, including negative ones', () => {
    const node = encodeNode({
      opType: 'ReduceL2',
      inputs: ['a'],
      outputs: ['b'],
      name: 'n',
      attributes: { axes: { type: AttributeType.Ints, value: [-1] }, keepdims: { type: AttributeType.Int, value: 0 } },
    });
    const graph = new WireWriter().messageField(1, node);
    const model = parseModel(new WireWriter().varintField(1, 8).messageField(7, graph).finish());
    const attributes = model.graph.nodes[0].attributes;
    assert.deepEqual(attributes.get('axes')!.ints, [-1n]);
    assert.equal(attributes.get('keepdims')!.i, 0n);
  });

  it('rewrites a model keeping untouched fields byte for byte', () => {
    const original = parseModel(tinyModel());
    const pieces = rewriteModel(original, {
      nodeEdits: new Map([[0, { inputs: ['x2'] }]]),
      nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['x2'], name: 'id' }],
      initializers: [{ name: 'k', dataType: DataType.Int64, dims: [1], values: [-1] }],
      inputs: [],
      outputs: [{ name: 'x2', elemType: DataType.Float, shape: ['batch', 2] }],
    });
    const rewritten = parseModel(materialize(original.source, pieces));
    assert.deepEqual(
      rewritten.graph.nodes.map((node) => node.opType),
      ['Relu', 'Identity'],
    );
    assert.deepEqual(rewritten.graph.nodes[0].inputs, ['x2']);
    assert.equal(rewritten.graph.nodes[0].name, 'relu');
    assert.deepEqual(tensorValues(rewritten.graph.initializers.get('k')!), [-1]);
    assert.deepEqual(tensorValues(rewritten.graph.initializers.get('w')!), [1.5, -2]);
    assert.deepEqual(
      rewritten.graph.outputs.map((output) => output.name),
      ['y', 'x2'],
    );
    assert.equal(rewritten.metadata.get('bos_token_id'), '1');
  });

  it('rejects truncated bytes with a format error, not a crash', () => {
    const bytes = tinyModel();
    assert.throws(() => parseModel(bytes.subarray(0, bytes.length - 5)), /ends inside a field|truncated/);
    assert.throws(() => parseTensorHeader(Uint8Array.of(0x0a, 0xff)), /truncated|ends inside/);
  });
});
