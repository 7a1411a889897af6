/**
 * Shades the prompt's tokens in the editor by the attention they receive and answers hovers over
 * them with a card of their numbers. One decorated prompt per document; an edit that touches the
 * prompt clears it, edits before it shift it (see tokenRanges.ts).
 */
import * as vscode from 'vscode';
import { Disposable } from '../dispose';
import { meanReceived, type ReportArrays, type RunReport } from '../../protocol/runReport';
import { displayToken as visibleToken } from '../../protocol/tokenText';
import { layerMeans, p0Role } from '../../protocol/verdict';
import { hoverTarget, layoutAfterEdits, layoutTokens, shadeLevel, sparkline, type TokenLayout } from './tokenRanges';

const LEVELS = 5;

interface DecoratedPrompt {
  document: vscode.TextDocument;
  runId: string;
  layout: TokenLayout;
  report: ReportArrays;
}

/** What tests read back: the ranges as document offsets with their shading level. */
export interface DecorationSnapshot {
  runId: string;
  groups: { start: number; end: number; level: number; tokens: number[] }[];
  virtual: { at: number; tokens: number[] }[];
}

export class TokenDecorations extends Disposable {
  private readonly levelTypes = Array.from({ length: LEVELS }, (_, index) =>
    this._register(
      vscode.window.createTextEditorDecorationType({
        backgroundColor: new vscode.ThemeColor(`sinkLens.attention${index + 1}`),
        borderRadius: '2px',
      }),
    ),
  );
  private readonly p0Type = this._register(
    vscode.window.createTextEditorDecorationType({
      border: '1px solid',
      borderColor: new vscode.ThemeColor('sinkLens.p0Border'),
      borderRadius: '2px',
    }),
  );
  private readonly virtualType = this._register(
    vscode.window.createTextEditorDecorationType({
      before: {
        color: new vscode.ThemeColor('sinkLens.virtualTokenForeground'),
        border: '1px dashed',
        borderColor: new vscode.ThemeColor('sinkLens.p0Border'),
        margin: '0 2px 0 0',
        fontStyle: 'italic',
      },
    }),
  );
  private readonly flashType = this._register(vscode.window.createTextEditorDecorationType({ backgroundColor: new vscode.ThemeColor('sinkLens.promptHighlight') }));
  private readonly prompts = new Map<string, DecoratedPrompt>();
  private layerChoice = -1;
  private flashTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this._register(vscode.workspace.onDidChangeTextDocument((event) => this.onEdit(event)));
    this._register(vscode.workspace.onDidCloseTextDocument((document) => this.prompts.delete(document.uri.toString())));
    this._register(vscode.window.onDidChangeVisibleTextEditors(() => this.renderAll()));
    this._register(vscode.languages.registerHoverProvider({ pattern: '**' }, { provideHover: (document, position) => this.hover(document, position) }));
  }

  /** Briefly highlights the text that was taken as the prompt. */
  flash(editor: vscode.TextEditor, start: number, end: number): void {
    const range = new vscode.Range(editor.document.positionAt(start), editor.document.positionAt(end));
    editor.setDecorations(this.flashType, [range]);
    clearTimeout(this.flashTimer);
    this.flashTimer = setTimeout(() => editor.setDecorations(this.flashType, []), 1500);
  }

  override dispose(): void {
    clearTimeout(this.flashTimer);
    super.dispose();
  }

  /** Shades the prompt by the attention its tokens receive (the report's attention.received). */
  show(document: vscode.TextDocument, offsets: number[], { runId, report }: RunReport, layerChoice: number): void {
    this.layerChoice = layerChoice;
    this.prompts.set(document.uri.toString(), { document, runId, layout: layoutTokens(report.tokens, offsets), report });
    this.render(document.uri.toString());
  }

  clear(): void {
    const keys = [...this.prompts.keys()];
    this.prompts.clear();
    for (const key of keys) this.render(key);
  }

  snapshot(uri: vscode.Uri): DecorationSnapshot | undefined {
    const prompt = this.prompts.get(uri.toString());
    if (!prompt) return undefined;
    const levels = this.levels(prompt);
    return {
      runId: prompt.runId,
      groups: prompt.layout.groups.map((group) => ({ ...group, level: Math.max(...group.tokens.map((t) => levels[t])) })),
      virtual: prompt.layout.virtual,
    };
  }

  private levels(prompt: DecoratedPrompt): number[] {
    const tokens = prompt.report.tokens.length;
    const received = prompt.report.attention.received ?? [];
    const chosen = this.layerChoice >= 0 ? [received[this.layerChoice]] : received;
    const values = meanReceived(chosen, tokens);
    let max = 0;
    for (const value of values) max = Math.max(max, value);
    return Array.from(values, (value) => shadeLevel(value, max, LEVELS));
  }

  private renderAll(): void {
    for (const key of this.prompts.keys()) this.render(key);
  }

  private render(key: string): void {
    const editors = vscode.window.visibleTextEditors.filter((editor) => editor.document.uri.toString() === key);
    const prompt = this.prompts.get(key);
    for (const editor of editors) {
      if (!prompt) {
        for (const type of [...this.levelTypes, this.p0Type, this.virtualType]) editor.setDecorations(type, []);
        continue;
      }
      const document = editor.document;
      const toRange = (start: number, end: number) => new vscode.Range(document.positionAt(start), document.positionAt(end));
      const levels = this.levels(prompt);
      const byLevel: vscode.Range[][] = this.levelTypes.map(() => []);
      const p0: vscode.Range[] = [];
      for (const group of prompt.layout.groups) {
        const level = Math.max(...group.tokens.map((token) => levels[token]));
        if (level > 0) byLevel[level - 1].push(toRange(group.start, group.end));
        if (group.tokens.includes(0)) p0.push(toRange(group.start, group.end));
      }
      this.levelTypes.forEach((type, index) => editor.setDecorations(type, byLevel[index]));
      editor.setDecorations(this.p0Type, p0);
      editor.setDecorations(
        this.virtualType,
        prompt.layout.virtual.map((entry) => ({
          range: toRange(entry.at, entry.at),
          renderOptions: { before: { contentText: entry.tokens.map((t) => virtualLabel(prompt.report.tokens[t].text)).join(' ') } },
        })),
      );
    }
  }

  private onEdit(event: vscode.TextDocumentChangeEvent): void {
    const key = event.document.uri.toString();
    const prompt = this.prompts.get(key);
    if (!prompt || event.contentChanges.length === 0) return;
    const next = layoutAfterEdits(
      prompt.layout,
      event.contentChanges.map((change) => ({ rangeOffset: change.rangeOffset, rangeLength: change.rangeLength, textLength: change.text.length })),
    );
    if (next) prompt.layout = next;
    else this.prompts.delete(key);
    this.render(key);
  }

  /** One card per position (tokenRanges.ts hoverTarget): never one stacked on another. */
  private hover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const prompt = this.prompts.get(document.uri.toString());
    if (!prompt) return undefined;
    const target = hoverTarget(prompt.layout, document.offsetAt(position));
    if (!target) return undefined;
    const card = new vscode.MarkdownString(undefined, true);
    card.isTrusted = { enabledCommands: ['sinkLens.revealToken'] };
    card.supportThemeIcons = true;
    this.appendTokenCard(card, prompt, target.tokens);
    for (const index of target.before) {
      const token = prompt.report.tokens[index];
      card.appendMarkdown(`\n\nBefore it, with no source text: token ${index}${index === 0 ? ` (${p0Role(prompt.report.circuit)})` : ''} · id \`${token.id}\` · `);
      card.appendText(`"${visibleToken(token.text)}"`);
    }
    const range = target.range ? new vscode.Range(document.positionAt(target.range.start), document.positionAt(target.range.end)) : undefined;
    return new vscode.Hover(card, range);
  }

  /** The card of the tokens at one place: one token, or the tokens that share one source text (each with its numbers). */
  private appendTokenCard(card: vscode.MarkdownString, prompt: DecoratedPrompt, indices: number[]): void {
    const { report } = prompt;
    const several = indices.length > 1;
    if (several) card.appendMarkdown(`**Tokens ${indices[0]}–${indices.at(-1)}** share this text`);
    for (const index of indices) {
      const token = report.tokens[index];
      card.appendMarkdown(several ? `\n\n**${index}** · id \`${token.id}\` · ` : `**Token ${index}**${index === 0 ? ` (${p0Role(report.circuit)})` : ''} · id \`${token.id}\` · `);
      card.appendText(`"${visibleToken(token.text)}"`);
      if (token.end <= token.start) card.appendMarkdown(' · _no source text_');
      const norms = report.residual.norms.map((row) => row[index]);
      card.appendMarkdown('\n\nNorm by depth ');
      card.appendText(`${sparkline(norms)}  ${formatNumber(norms[0])} → ${formatNumber(norms.at(-1)!)} (depths ${report.residual.depths[0]}…${report.residual.depths.at(-1)})`);
      const received = (report.attention.received ?? []).map((layer) => layer[index]);
      if (received.length > 0) {
        card.appendMarkdown('\n\nAttention received per layer ');
        card.appendText(`${sparkline(received)}  ${received.map((value, layer) => `L${layer} ${Number.isFinite(value) ? value.toFixed(3) : '…'}`).join(' · ')}`);
      } else {
        card.appendMarkdown('\n\nAttention received: _not in this report (stored by an earlier version)_');
      }
      if (index === 0) {
        card.appendMarkdown('\n\nMean sinkScore per layer ');
        card.appendText(
          layerMeans(report.attention.sinkScore)
            .map((value) => value.toFixed(3))
            .join(' '),
        );
      }
    }
    const args = encodeURIComponent(JSON.stringify([{ runId: prompt.runId, token: indices[0] }]));
    card.appendMarkdown(`\n\n[$(graph) Open in Sink Report](command:sinkLens.revealToken?${args} "Show this token in the Sink Lens panel")`);
  }
}

function virtualLabel(text: string): string {
  if (text === '▁' || text === ' ') return '␣';
  return text.length > 12 ? `${text.slice(0, 11)}…` : text;
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3);
}
