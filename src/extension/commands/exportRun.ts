/** "Export Report…" on a stored run: its report@1 JSON, or one of its tables as CSV, saved where the user says. */
import * as vscode from 'vscode';
import { reportCsv, type CsvTable } from '../../protocol/reportCsv';
import { toJsonReport } from '../../protocol/runReport';
import { saveFile } from '../panels/webviewExport';
import type { RunStore } from '../storage/runStore';

export async function exportRun(store: RunStore, runId: string): Promise<void> {
  const stored = await store.load(runId);
  if (!stored) return;
  const choice = await vscode.window.showQuickPick(
    [
      { label: 'Report JSON', description: 'sink-lens/report@1', value: 'json' as const },
      { label: 'Sink scores CSV', description: 'layer, head, sinkScore', value: 'sinkScores' as const },
      { label: 'Norms CSV', description: 'depth, position, token, norm', value: 'norms' as const },
      { label: 'MLP activation norms CSV', description: 'layer, position, token, norm', value: 'mlpNorms' as const },
    ],
    { title: 'Export Sink Lens run' },
  );
  if (!choice) return;
  const content = choice.value === 'json' ? JSON.stringify(toJsonReport(stored.report), null, 2) : reportCsv(stored.report, choice.value as CsvTable);
  await saveFile(`sink-lens-${runId}-${choice.value}.${choice.value === 'json' ? 'json' : 'csv'}`, Buffer.from(content, 'utf8'));
}
