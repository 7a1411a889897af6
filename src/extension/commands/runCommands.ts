/** The commands of single-prompt runs: analyse, re-run, compare, export, delete, show in the report panel. */
import type { HeadRef } from '../../protocol/analyses';
import type { CommandFactory } from './command';
import { runIdOf, type RunArgument } from './commandTargets';
import { exportRun as exportStoredRun } from './exportRun';
import { analyzeTokenIds as analyzeIds } from './tokenIdsCommand';

type RunTarget = { runId: string; layer?: number; head?: number; token?: number };

export const analyzePrompt: CommandFactory =
  ({ runs }) =>
  (argument?: unknown) =>
    runs.analyzePromptUnderCursor(argument);

export const analyzeTokenIds: CommandFactory =
  ({ runs, decorations }) =>
  (argument?: unknown) =>
    analyzeIds(runs, decorations, argument);

export const rerun: CommandFactory =
  ({ runs, treeView }) =>
  (argument?: RunArgument) => {
    const runId = runIdOf(argument, treeView);
    return runId ? runs.rerun(runId) : undefined;
  };

/**
 * With and without BOS side by side (Sink Analyses panel). From the explorer (a run or a layer), the
 * run is also re-run without BOS as before (a stored run, returned); from the palette, the prompt
 * under the cursor is compared and the comparison returned.
 */
export const compareWithoutBos: CommandFactory =
  ({ runs, analyses, treeView }) =>
  async (argument?: RunArgument) => {
    const runId = argument ? runIdOf(argument, treeView) : undefined;
    if (!runId) return analyses.compareWithoutBos();
    const rerun = await runs.rerun(runId, { addBos: false });
    await analyses.compareWithoutBos({ runId });
    return rerun;
  };

export const exportRun: CommandFactory =
  ({ runStore, treeView }) =>
  (argument?: RunArgument) => {
    const runId = runIdOf(argument, treeView);
    return runId ? exportStoredRun(runStore, runId) : undefined;
  };

export const deleteRun: CommandFactory =
  ({ runs, treeView }) =>
  (argument?: RunArgument) => {
    const runId = runIdOf(argument, treeView);
    return runId ? runs.deleteRun(runId) : undefined;
  };

export const showPanel: CommandFactory =
  ({ reportPanel }) =>
  () =>
    reportPanel.showPanel();

export const showRun: CommandFactory =
  ({ reportPanel }) =>
  (target: RunTarget) =>
    reportPanel.showRun(target);

export const revealToken: CommandFactory =
  ({ reportPanel }) =>
  (target: { runId: string; token: number }) =>
    reportPanel.showRun(target);

export const clearDecorations: CommandFactory =
  ({ decorations }) =>
  () =>
    decorations.clear();

/** Internal (not in the palette): the report panel's "Ablate Selected Heads" runs through here, so the report side needs no handle on the analyses side. */
export const ablateHeads: CommandFactory =
  ({ analyses }) =>
  (target: { runId: string; heads: HeadRef[] }) =>
    analyses.ablateHeads(target);
