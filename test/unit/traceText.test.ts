import assert from 'node:assert/strict';
import { it } from 'node:test';
import { CONCENTRATION_NULL_REASONS } from '../../src/protocol/report';
import { concentrationText, NO_GROWTH } from '../../webview/trace/steps';

it('concentration: "—" where there is no growth to share, with the trace\'s reason; the number otherwise', () => {
  assert.deepEqual(concentrationText({ concentration: null, concentrationNullReason: 'no-depth-2' }), { text: '—', title: `No concentration: ${CONCENTRATION_NULL_REASONS['no-depth-2']}.` });
  // A trace written before the reason existed: the general one.
  assert.deepEqual(concentrationText({ concentration: null }), { text: '—', title: `No concentration: ${NO_GROWTH}.` });
  assert.match(NO_GROWTH, /^no growth to share/);
  assert.equal(concentrationText({ concentration: 0.62, concentrationNullReason: null }).text, '0.62');
});
