/** The selected checkpoint's numbers: its step, where it came from (a hub revision and its commit, or a file or folder), device, sink rates, verdict, concentration, largest P0 ratio and loss (readable by tests: data-value). */
import type { TraceCheckpoint } from '../../src/protocol/trace';
import { stat } from '../kit/cards';
import { h } from '../kit/dom';
import { formatNumber, percent } from '../kit/format';
import { concentrationText, maxRatio } from './steps';

export function checkpointDetails(checkpoint: TraceCheckpoint, index: number, count: number): HTMLElement[] {
  const verdictLayer = (value: number | null, none: string) => (value === null ? none : String(value));
  return [
    h(
      'p',
      { class: 'selected-step' },
      h('strong', { 'data-testid': 'selected-step', 'data-step': String(checkpoint.step) }, `Step ${checkpoint.step}`),
      ` · checkpoint ${index + 1} of ${count} · `,
      ...sourceOf(checkpoint),
      ` · ran on ${checkpoint.executionProvider.toUpperCase()}`,
    ),
    h(
      'dl',
      { class: 'stats' },
      stat('sinkRate[0:]', 'stat-sink-rate', percent(checkpoint.sinkRate.all), checkpoint.sinkRate.all, 'Share of all heads whose attention to position 0 exceeds ε, averaged over the probe prompts.'),
      stat('sinkRate[2:]', 'stat-sink-rate-2', percent(checkpoint.sinkRate.fromLayer2), checkpoint.sinkRate.fromLayer2, 'The same, counting layers 2 and above only.'),
      stat(
        'formationDepth',
        'stat-formation-depth',
        verdictLayer(checkpoint.formationDepth, 'not formed'),
        checkpoint.formationDepth,
        'First depth where the P0 norm ratio rises clearly above the other positions.',
      ),
      stat('sinkOnsetLayer', 'stat-onset-layer', verdictLayer(checkpoint.sinkOnsetLayer, 'no sink head'), checkpoint.sinkOnsetLayer, 'First layer with a sink head.'),
      stat('concentration', 'stat-concentration', concentrationText(checkpoint).text, checkpoint.concentration, concentrationText(checkpoint).title),
      stat('max P0 ratio', 'stat-max-ratio', `${formatNumber(maxRatio(checkpoint), 2)}×`, maxRatio(checkpoint)),
      stat('loss', 'stat-loss', `${formatNumber(checkpoint.loss, 3)} nats`, checkpoint.loss, 'Mean next-token cross-entropy on the probe prompts.'),
    ),
  ];
}

/** A hub revision and the commit it named when traced, or the checkpoint's file or folder name (its full path as the tooltip). */
function sourceOf(checkpoint: TraceCheckpoint): (HTMLElement | string)[] {
  const source = checkpoint.source;
  if (source?.kind === 'hub') {
    return [
      h(
        'span',
        { 'data-testid': 'checkpoint-source', 'data-revision': source.revision, 'data-commit': source.commit, title: `${source.repoId}@${source.commit}` },
        `${source.repoId}@${source.revision}`,
      ),
      ` (commit ${source.commit.slice(0, 7)})`,
    ];
  }
  const path = source?.path ?? checkpoint.path;
  return [h('span', { 'data-testid': 'checkpoint-source', title: path }, path.split(/[\\/]/).filter(Boolean).pop() ?? path)];
}
