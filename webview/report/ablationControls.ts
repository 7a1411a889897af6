/**
 * "Ablate Selected Heads" under the sink grid: the selection in words, the buttons, and how the one
 * ablation this panel asked for went (the comparison itself shows in the Sink Analyses panel).
 */
import { headLabel, type HeadRef } from '../../src/protocol/analyses';
import { buttonRow } from '../kit/cards';
import { button, h } from '../kit/dom';
import type { SinkGrid } from './sinkGrid';

export class AblationControls {
  private readonly selectionLine = h('p', { class: 'selection-line', 'data-testid': 'selected-heads', 'aria-live': 'polite' });
  private readonly status = h('p', { class: 'ablation-status', 'data-testid': 'ablation-status', 'aria-live': 'polite' });
  private readonly ablateButton = button('Ablate Selected Heads', () => this.ablateSelected(), {
    testId: 'ablate-selected',
    title: "Rerun this prompt with the selected heads' output set to zero and compare it with this run in the Sink Analyses panel",
  });
  private readonly clearButton = button('Clear Selection', () => this.grid.setSelection([]), { secondary: true, testId: 'clear-selection' });
  /** The heads of the ablation in flight (one at a time from this panel). */
  private pending: string | null = null;

  constructor(
    private readonly grid: SinkGrid,
    /** Asks the host to rerun the prompt without these heads; rejects with why it did not. */
    private readonly ablate: (heads: HeadRef[]) => Promise<unknown>,
    /** What the button does where the host cannot rerun the model (an exported page); null in VS Code. */
    private readonly hostNote: string | null = null,
  ) {}

  element(): HTMLElement {
    return h(
      'div',
      { class: 'ablation' },
      h(
        'p',
        { class: 'hint' },
        'Heads to ablate: click a head to select it alone, Ctrl/Cmd-click (or Space on a focused cell) to add or remove one; Escape clears. The prompt is then rerun with their output set to zero and compared with this run in the Sink Analyses panel.',
      ),
      this.hostNote ? h('p', { class: 'hint host-note', 'data-testid': 'ablation-host-note' }, this.hostNote) : null,
      this.selectionLine,
      buttonRow(this.ablateButton, this.clearButton),
      this.status,
    );
  }

  showSelection(heads: HeadRef[]): void {
    this.selectionLine.textContent = heads.length
      ? `Selected: ${heads.map((ref) => `layer ${ref.layer} head ${ref.head}`).join(', ')} (${heads.length} head${heads.length === 1 ? '' : 's'}).`
      : 'No heads selected.';
    this.selectionLine.dataset.label = heads.length ? headLabel(heads) : '';
    this.ablateButton.toggleAttribute('disabled', heads.length === 0 || this.pending !== null);
    this.clearButton.toggleAttribute('disabled', heads.length === 0);
  }

  private ablateSelected(): void {
    const heads = this.grid.selectedHeads();
    if (heads.length === 0 || this.pending) return;
    const label = headLabel(heads);
    this.pending = label;
    this.setStatus('running', `Rerunning the prompt without ${label}…`);
    this.showSelection(heads);
    void this.ablate(heads)
      .then(
        () => this.setStatus('done', `${label} ablated: the comparison with this run is in the Sink Analyses panel.`),
        (error: Error) => this.setStatus('error', `Could not ablate ${label}: ${error.message}`),
      )
      .finally(() => {
        this.pending = null;
        this.showSelection(this.grid.selectedHeads());
      });
  }

  private setStatus(kind: 'running' | 'done' | 'error', text: string): void {
    this.status.dataset.state = kind;
    this.status.textContent = text;
  }
}
