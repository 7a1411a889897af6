/** What the numbers of the Sink Report mean, for a newcomer (the verdict links here); the definitions are docs/ANALYSES.md's. */
import { DEFAULT_EPSILON, FORMATION_RATIO } from '../../src/protocol/measures';
import { h } from '../kit/dom';

/** `layers`: L of the model shown, so that "L − 1" reads as the depth it is here. */
export function glossary(layers: number): HTMLElement {
  const entry = (term: string, definition: string) => [h('dt', {}, term), h('dd', {}, definition)];
  return h(
    'section',
    { class: 'card glossary', id: 'glossary', 'aria-labelledby': 'glossary-title', 'data-testid': 'glossary' },
    h('h2', { id: 'glossary-title' }, 'What the numbers mean'),
    h(
      'dl',
      {},
      ...entry(
        'Depth',
        `Where in the model the hidden state is read: 0 is the embedding output, l + 0.5 is after block l's attention, l + 1 after block l; this model has L = ${layers} blocks, so depths run 0 … ${layers}.`,
      ),
      ...entry('Norm', "The L2 length of a position's hidden state. An attention sink usually sits on a position whose norm is far above the rest."),
      ...entry('P0 / median', "Position 0's norm divided by the median norm of the other positions at the same depth."),
      ...entry('sinkScore', 'For one head: the attention each query pays to position 0, averaged over all queries (query 0 pays 1).'),
      ...entry('ε (epsilon)', `A head counts as a sink head when its sinkScore is above ε (${DEFAULT_EPSILON} by default, as in Gu et al.).`),
      ...entry(
        'Uniform share',
        'What a head that spreads its attention evenly over the positions it can see gives position 0: (1/T) Σ 1/(q + 1) over the T queries. Short prompts have a large one (0.457 on 5 tokens): compare scores with it, and with twice it.',
      ),
      ...entry('Sink rate', 'The share of heads whose sinkScore is above ε, over all layers and from layer 2 on. It counts heads; it does not decide the verdict.'),
      ...entry(
        'Sink onset layer',
        'The first layer whose heads put on average more than ε AND more than twice the uniform share of their attention on position 0. No such layer: "no attention sink", however many single heads are above ε.',
      ),
      ...entry(
        'Formation depth',
        `The first depth at which P0's norm is at least ${FORMATION_RATIO}× the others' median and stays so at every later depth up to L − 1 = ${layers - 1}. Depths after L − 1 (the last block's, ${layers - 0.5} and ${layers}) are not counted: the last block turns the state into the next-token prediction, where massive activations fade, so a lower ratio there does not undo a formed state. The P0 Sink Circuit forms within two blocks (formation depth ≤ 2).`,
      ),
      ...entry('Attention received', 'For a token: the attention all queries pay to it, averaged over queries, heads and layers; for position 0 this is the mean sinkScore.'),
    ),
  );
}
