import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hoverTarget, layoutAfterEdits, layoutTokens, shadeLevel, sparkline } from '../../src/extension/decorations/tokenRanges';
import { meanReceived } from '../../src/protocol/runReport';

const identity = (start: number, length: number) => Array.from({ length: length + 1 }, (_, i) => start + i);

describe('layoutTokens', () => {
  it('maps prompt offsets to document offsets and keeps BOS as a virtual token', () => {
    // Prompt "Hi there" at document offset 10; tokens: BOS, "▁Hi" (0..2), "▁there" (2..8).
    const tokens = [
      { start: 0, end: 0 },
      { start: 0, end: 2 },
      { start: 2, end: 8 },
    ];
    const layout = layoutTokens(tokens, identity(10, 8));
    assert.deepEqual(layout.virtual, [{ at: 10, tokens: [0] }]);
    assert.deepEqual(layout.groups, [
      { start: 10, end: 12, tokens: [1] },
      { start: 12, end: 18, tokens: [2] },
    ]);
    assert.equal(layout.start, 10);
    assert.equal(layout.end, 18);
  });

  it('puts byte tokens of one emoji in ONE group instead of stacking four decorations', () => {
    // "a😀" : "a" (0..1), then four byte tokens all covering the surrogate pair (1..3).
    const tokens = [
      { start: 0, end: 1 },
      { start: 1, end: 3 },
      { start: 1, end: 3 },
      { start: 1, end: 3 },
      { start: 1, end: 3 },
    ];
    const layout = layoutTokens(tokens, identity(0, 3));
    assert.deepEqual(layout.groups, [
      { start: 0, end: 1, tokens: [0] },
      { start: 1, end: 3, tokens: [1, 2, 3, 4] },
    ]);
  });

  it('follows escape-decoded offsets (a decoded "\\n" covers two source characters)', () => {
    // Source: a\nb (4 chars at 20..24) decoded to "a\nb" (3 units): offsets [20, 21, 23, 24].
    const layout = layoutTokens(
      [
        { start: 0, end: 1 },
        { start: 1, end: 3 },
      ],
      [20, 21, 23, 24],
    );
    assert.deepEqual(
      layout.groups.map((g) => [g.start, g.end]),
      [
        [20, 21],
        [21, 24],
      ],
    );
  });
});

describe('layoutAfterEdits', () => {
  const layout = layoutTokens(
    [
      { start: 0, end: 0 },
      { start: 0, end: 4 },
    ],
    identity(10, 4),
  );

  it('shifts when the edit is before the prompt', () => {
    const moved = layoutAfterEdits(layout, [{ rangeOffset: 0, rangeLength: 0, textLength: 3 }])!;
    assert.deepEqual(moved.groups[0], { start: 13, end: 17, tokens: [1] });
    assert.equal(moved.virtual[0].at, 13);
  });

  it('keeps the layout when the edit is after the prompt', () => {
    assert.equal(layoutAfterEdits(layout, [{ rangeOffset: 20, rangeLength: 2, textLength: 0 }]), layout);
  });

  it('clears when the edit touches the prompt, including typing at either end', () => {
    assert.equal(layoutAfterEdits(layout, [{ rangeOffset: 12, rangeLength: 0, textLength: 1 }]), null);
    assert.equal(layoutAfterEdits(layout, [{ rangeOffset: 10, rangeLength: 0, textLength: 1 }]), null);
    assert.equal(layoutAfterEdits(layout, [{ rangeOffset: 14, rangeLength: 0, textLength: 1 }]), null);
    assert.equal(layoutAfterEdits(layout, [{ rangeOffset: 5, rangeLength: 6, textLength: 0 }]), null);
  });
});

describe('shading and sparklines', () => {
  it('shadeLevel keeps small non-zero values visible and caps at the top level', () => {
    assert.equal(shadeLevel(0, 1), 0);
    assert.equal(shadeLevel(0.001, 1), 1);
    assert.equal(shadeLevel(1, 1), 5);
    assert.equal(shadeLevel(0.25, 1), 3);
  });

  it('sparkline spans the block range and marks missing values', () => {
    assert.equal(sparkline([0, 1, 2]), '▁▅█');
    assert.equal(sparkline([1, NaN, 3]), '▁ █');
  });

  it('meanReceived averages the layers there are, skipping an absent one', () => {
    assert.deepEqual(Array.from(meanReceived([Float32Array.of(1, 0), undefined, Float32Array.of(0, 1)], 2)), [0.5, 0.5]);
  });
});

describe('hoverTarget: one card per position', () => {
  // Prompt "a😀b" at offset 10: BOS (virtual), "a", four byte tokens of the emoji, "b".
  const tokens = [
    { start: 0, end: 0 },
    { start: 0, end: 1 },
    { start: 1, end: 3 },
    { start: 1, end: 3 },
    { start: 1, end: 3 },
    { start: 1, end: 3 },
    { start: 3, end: 4 },
  ];
  const layout = layoutTokens(tokens, identity(10, 4));

  it('the first character is its own token, with BOS only mentioned, never a second card', () => {
    assert.deepEqual(hoverTarget(layout, 10), { tokens: [1], before: [0], range: { start: 10, end: 11 } });
  });

  it('tokens that share a range are one card', () => {
    assert.deepEqual(hoverTarget(layout, 11), { tokens: [2, 3, 4, 5], before: [], range: { start: 11, end: 13 } });
    assert.deepEqual(hoverTarget(layout, 12), hoverTarget(layout, 11));
  });

  it("BOS's own card where its label is drawn (VS Code asks for the character before it), nothing outside the prompt", () => {
    assert.deepEqual(hoverTarget(layout, 9), { tokens: [0], before: [], range: null });
    assert.equal(hoverTarget(layout, 8), null);
    assert.equal(hoverTarget(layout, 14), null);
  });
});
