/**
 * What "Analyze Checkpoint Trace…" traces: a folder of checkpoints (a trace.json manifest, step-named
 * sub-folders, a Trainer's checkpoint-N/), or a model in the local Hugging Face cache with at least
 * two `stepN` revisions (Pythia's convention) and, optionally, a subset of them. With no such model
 * in the cache, the folder dialog opens at once, as it always did.
 */
import * as vscode from 'vscode';
import { listHubTraceModels, type HubTraceModel } from '../../engine/trace/hubRevisions';

export type TraceSource = { kind: 'folder'; folder: string } | { kind: 'hub'; repoId: string; revisions?: string[] };

export async function pickTraceSource(): Promise<TraceSource | undefined> {
  const models = listHubTraceModels(2);
  if (models.length === 0) return pickFolder();
  type Item = vscode.QuickPickItem & { model: HubTraceModel | null };
  const items: Item[] = [
    { label: '$(folder-opened) Choose a folder of checkpoints…', description: "trace.json, step-named sub-folders, or a Trainer's checkpoint-N/", model: null },
    ...models.map((model) => ({
      label: `$(database) ${model.repoId}`,
      description: `${model.revisions.length} step revisions in the Hugging Face cache (${model.revisions[0].name} … ${model.revisions.at(-1)!.name})`,
      model,
    })),
  ];
  const choice = await vscode.window.showQuickPick(items, { title: 'Sink Lens: trace which checkpoints?', matchOnDescription: true });
  if (!choice) return undefined;
  if (!choice.model) return pickFolder();
  const revisions = await pickRevisions(choice.model);
  return revisions && { kind: 'hub', repoId: choice.model.repoId, ...(revisions.length < choice.model.revisions.length ? { revisions } : {}) };
}

async function pickFolder(): Promise<TraceSource | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title: 'Sink Lens: choose a folder of training checkpoints',
    openLabel: 'Trace Checkpoints',
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  const folder = picked?.[0]?.fsPath;
  return folder ? { kind: 'folder', folder } : undefined;
}

/** Every revision is ticked: accepting traces them all; untick the ones to leave out. None ticked: nothing to trace. */
async function pickRevisions(model: HubTraceModel): Promise<string[] | undefined> {
  const picked = await vscode.window.showQuickPick(
    model.revisions.map((revision) => ({ label: revision.name, description: `step ${revision.step} · commit ${revision.commit.slice(0, 7)}`, picked: true })),
    { title: `Sink Lens: which revisions of ${model.repoId}? (all are ticked)`, canPickMany: true, matchOnDescription: true },
  );
  if (!picked || picked.length === 0) return undefined;
  return picked.map((item) => item.label);
}
