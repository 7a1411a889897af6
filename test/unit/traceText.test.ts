import assert from 'node:assert/strict';
import { it } from 'node:test';
import { concentrationText, NO_GROWTH } from '../../webview/trace/steps';

it('concentration: "—" where there is no growth to share, with why; the number otherwise', () => {
  assert.deepEqual(concentrationText(null), { text: '—', title: `No concentration: ${NO_GROWTH}.` });
  assert.match(NO_GROWTH, /^no growth to share/);
  assert.equal(concentrationText(0.62).text, '0.62');
});
