/** One token's numbers under the token strip: its text and id, its norm by depth, the attention it receives per layer. */
import { displayToken } from '../../src/protocol/tokenText';
import { p0Role } from '../../src/protocol/verdict';
import { button, h } from '../kit/dom';
import { formatNumber } from '../kit/format';
import type { RunView } from './runView';

/** `reveal`: shows the token in the editor; null where the host has no editor (an exported page). */
export function tokenDetails(run: RunView, index: number, reveal: (() => void) | null): Node[] | null {
  const { tokens, residual, attention, circuit } = run.report;
  const token = tokens[index];
  if (!token) return null;
  const norms = residual.norms.map((row) => row[index]);
  const received = (attention.received ?? []).map((layer) => formatNumber(layer[index], 3));
  return [
    h('h3', {}, `Token ${index}: `, h('code', {}, displayToken(token.text)), ` · id ${token.id}${token.special ? ' · special' : ''}${token.end <= token.start ? ' · no source text' : ''}`),
    index === 0 ? h('p', { 'data-testid': 'p0-role' }, p0Role(circuit)) : '',
    h('p', {}, `Norm by depth: ${norms.map((value, i) => `${residual.depths[i]}: ${formatNumber(value, 2)}`).join(' · ')}`),
    h(
      'p',
      {},
      received.length ? `Attention received per layer: ${received.map((value, layer) => `L${layer}: ${value}`).join(' · ')}` : 'Attention received: not in this report (stored by an earlier version).',
    ),
    reveal && token.end > token.start ? button('Show in editor', reveal, { secondary: true }) : '',
  ].filter((node): node is HTMLElement => node !== '');
}
