/**
 * The verdict in words, as the CLI prints it (src/protocol/verdict.ts): the headline, right under
 * it why it holds where a number beside it seems to say otherwise, the details, the run's warnings,
 * and for the bundled demo model without a sink, why (src/protocol/demoModel.ts) with its sample prompts.
 */
import type { ReportHostAbilities } from '../../src/protocol/channels/report';
import { demoModelNote } from '../../src/protocol/demoModel';
import { buttonRow, card } from '../kit/cards';
import { button, h } from '../kit/dom';
import type { RunView } from './runView';

export function verdictCard({ verdict, report }: RunView, demoModel: boolean, abilities: ReportHostAbilities, openDemoPrompts: () => void): HTMLElement {
  const note = demoModelNote(demoModel, report.circuit);
  return card(
    'Verdict',
    'verdict',
    h('p', { class: 'headline', 'data-testid': 'verdict-headline' }, verdict.headline),
    verdict.why ? h('p', { class: 'why', 'data-testid': 'verdict-why' }, verdict.why) : null,
    h('ul', {}, ...verdict.details.map((detail) => h('li', {}, detail))),
    note
      ? h(
          'div',
          { class: 'demo-note', role: 'note', 'data-testid': 'demo-note' },
          h('p', {}, note),
          abilities.editor
            ? buttonRow(
                button('Open demo prompts', openDemoPrompts, {
                  testId: 'open-demo-prompts',
                  title: "Open the demo model's sample prompts (samples.txt) in an editor: put the cursor on one and analyse it",
                }),
              )
            : null,
        )
      : null,
    h('p', { class: 'hint' }, h('a', { href: '#glossary' }, 'What do these numbers mean?')),
    ...report.warnings.map((warning) => h('p', { class: 'warning' }, `⚠ ${warning.message}`)),
  );
}
