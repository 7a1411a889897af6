/** One token's numbers under the token strip: its text and id, its norm by depth, the attention it receives per layer. */
import { displayToken } from '../../src/protocol/tokenText';
import { button, h } from '../kit/dom';
import { formatNumber } from '../kit/format';
import type { RunView } from './runView';

export function tokenDetails(run: RunView, index: number, reveal: () => void): Node[] | null {
  const { summary } = run;
  const token = summary.tokens[index];
  if (!token) return null;
  const norms = summary.norms.map((row) => row[index]);
  const received = run.received.map((layer) => (layer ? formatNumber(layer[index], 3) : '…'));
  return [
    h('h3', {}, `Token ${index}: `, h('code', {}, displayToken(token.text)), ` · id ${token.id}${token.special ? ' · special' : ''}${token.end <= token.start ? ' · no source text' : ''}`),
    h('p', {}, `Norm by depth: ${norms.map((value, i) => `${summary.depths[i]}: ${formatNumber(value, 2)}`).join(' · ')}`),
    h('p', {}, `Attention received per layer: ${received.map((value, layer) => `L${layer}: ${value}`).join(' · ')}`),
    token.end > token.start ? button('Show in editor', reveal, { secondary: true }) : '',
  ].filter((node): node is HTMLElement => node !== '');
}
