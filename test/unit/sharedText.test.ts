import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { SinkReport } from '../../src/protocol/report';
import { reportCsv } from '../../src/protocol/reportCsv';
import { displayToken } from '../../src/protocol/tokenText';

it('reportCsv quotes token text (commas, quotes, formulas) and lists every layer/head', () => {
  const report = {
    tokens: [
      { id: 1, text: '<s>', start: 0, end: 0, special: true },
      { id: 7, text: '"a,b"', start: 0, end: 5, special: false },
      { id: 8, text: '=SUM(1)', start: 5, end: 12, special: false },
    ],
    residual: { depths: [0], norms: [[1, 2, 3]], p0NormRatio: [0.4] },
    attention: { sinkScore: [[0.5, 0.1]], uniformBaseline: 0.6, sinkRate: { epsilon: 0.3, all: 0.5, fromLayer2: null }, firstTokenAttention: [] },
  } as unknown as SinkReport;
  assert.equal(reportCsv(report, 'sinkScores'), 'layer,head,sinkScore,aboveEpsilon,epsilon,uniformBaseline\n0,0,0.5,1,0.3,0.6\n0,1,0.1,0,0.3,0.6\n');
  const norms = reportCsv(report, 'norms').split('\n');
  assert.equal(norms[2], '0,1,7,"""a,b""",2');
  assert.equal(norms[3], `0,2,8,'=SUM(1),3`);
});

it('reportCsv lists the MLP activation norm per layer and position, and no rows for a layer without one', () => {
  const report = {
    tokens: [
      { id: 1, text: '<s>', start: 0, end: 0, special: true },
      { id: 7, text: 'a', start: 0, end: 1, special: false },
    ],
    residual: { depths: [0], norms: [[1, 2]], p0NormRatio: [0.5] },
    attention: { sinkScore: [[0.5]], uniformBaseline: 0.75, sinkRate: { epsilon: 0.3, all: 1, fromLayer2: null }, firstTokenAttention: [] },
    mlp: {
      layers: [
        { layer: 0, norms: [15.5, 3.25] },
        { layer: 1, norms: null },
      ],
    },
  } as unknown as SinkReport;
  assert.equal(reportCsv(report, 'mlpNorms'), 'layer,position,tokenId,token,mlpActivationNorm\n0,0,1,<s>,15.5\n0,1,7,a,3.25\n');
  assert.equal(reportCsv({ ...report, mlp: undefined }, 'mlpNorms'), 'layer,position,tokenId,token,mlpActivationNorm\n');
});

it('displayToken shows byte-fallback tokens as characters and makes whitespace visible', () => {
  assert.equal(displayToken('<0x4F>'), 'O');
  assert.equal(displayToken('<0x20>'), '␣');
  assert.equal(displayToken('<0x0A>'), '↵');
  assert.equal(displayToken('<0xE2>'), '<0xE2>');
  assert.equal(displayToken('▁Once'), '␣Once');
  assert.equal(displayToken(''), '∅');
});
