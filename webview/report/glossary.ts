/** What the numbers of the Sink Report mean, for a newcomer (the verdict links here). */
import { DEFAULT_EPSILON } from '../../src/protocol/measures';
import { h } from '../kit/dom';

export function glossary(): HTMLElement {
  const entry = (term: string, definition: string) => [h('dt', {}, term), h('dd', {}, definition)];
  return h(
    'section',
    { class: 'card glossary', id: 'glossary', 'aria-labelledby': 'glossary-title' },
    h('h2', { id: 'glossary-title' }, 'What the numbers mean'),
    h(
      'dl',
      {},
      ...entry('Depth', "Where in the model the hidden state is read: 0 is the embedding output, l + 0.5 is after block l's attention, l + 1 after block l."),
      ...entry('Norm', "The L2 length of a position's hidden state. An attention sink usually sits on a position whose norm is far above the rest."),
      ...entry('P0 / median', "Position 0's norm divided by the median norm of the other positions at the same depth."),
      ...entry('sinkScore', 'For one head: the attention each query pays to position 0, averaged over all queries (query 0 pays 1).'),
      ...entry('ε (epsilon)', `A head counts as a sink when its sinkScore is above ε (${DEFAULT_EPSILON} by default, as in Gu et al.).`),
      ...entry('Uniform baseline', 'What a head that spreads attention evenly over the positions it can see would pay to position 0. Short prompts have a high baseline: compare scores with it.'),
      ...entry('Sink rate', 'The share of heads whose sinkScore is above ε, over all layers and from layer 2 on.'),
      ...entry('Formation depth', "The first depth from which P0's norm stays at least twice the others'. The P0 Sink Circuit forms within two blocks."),
      ...entry('Attention received', 'For a token: the attention all queries pay to it, averaged over queries, heads and layers; for position 0 this is the mean sinkScore.'),
    ),
  );
}
