/**
 * The Sink Report when it shows no run's report: nothing yet, a run that is starting (what was
 * asked and how it is getting on), or a run that ended without one (cancelled or failed), with what
 * was asked and nothing of any earlier run under it.
 */
import type { ReportCommand, ReportHostAbilities, RunAsked } from '../../src/protocol/channels/report';
import { buttonRow } from '../kit/cards';
import { button, h } from '../kit/dom';
import type { Shown } from './reportState';

export function statusPage(shown: Exclude<Shown, { kind: 'run' }>, abilities: ReportHostAbilities, command: (command: ReportCommand) => void): HTMLElement {
  switch (shown.kind) {
    case 'none':
      return h('p', { class: 'placeholder', 'data-testid': 'no-run' }, 'Run Sink Lens: Analyze Prompt Sinks with the cursor in a prompt.');
    case 'starting':
      return h(
        'div',
        { class: 'status-page' },
        h('h1', {}, 'Sink Report'),
        askedLine(shown.asked, 'Analysing'),
        h('p', { class: 'progress', 'data-testid': 'progress', 'aria-live': 'polite' }, shown.progress ?? 'Starting…'),
      );
    case 'ended': {
      const cancelled = shown.error.category === 'cancelled';
      // A cancelled run needs no other model or settings: no buttons for them.
      const actions =
        cancelled || !abilities.models
          ? null
          : buttonRow(
              button('Select Model…', () => command('selectModel')),
              button('Open Settings', () => command('openSettings'), { secondary: true }),
            );
      return h(
        'div',
        { class: 'status-page' },
        h('h1', {}, cancelled ? 'Sink Report: cancelled' : 'Sink Report: failed'),
        shown.asked ? askedLine(shown.asked, cancelled ? 'Cancelled' : 'Failed') : null,
        h(
          'div',
          { class: 'error', role: 'alert', 'data-testid': 'error' },
          h('p', {}, cancelled ? 'The analysis was cancelled.' : `The analysis failed: ${shown.error.message}`),
          h('p', { class: 'hint' }, cancelled ? 'Nothing of it was kept. Run the command again to see its report.' : 'Nothing of it was kept.'),
          actions,
        ),
      );
    }
  }
}

function askedLine(asked: RunAsked, verb: string): HTMLElement {
  const model = asked.modelPath.split(/[\\/]/).filter(Boolean).slice(-2).join('/') || asked.modelPath;
  return h(
    'div',
    { class: 'asked', 'data-testid': 'asked' },
    h('p', { class: 'meta' }, `${verb}: the prompt from ${asked.source} on `, h('strong', { title: asked.modelPath }, model), asked.demoModel ? ' (the bundled demo model)' : ''),
    h('blockquote', { class: 'prompt', 'data-testid': 'asked-prompt' }, asked.prompt),
  );
}
