/** The commands of the paper's multi-run analyses, shown in the Sink Analyses panel. */
import type { CommandFactory } from './command';

export const analyzePromptsInFile: CommandFactory =
  ({ analyses }) =>
  () =>
    analyses.analyzePromptsInFile();

export const ablateLayerHeads: CommandFactory =
  ({ analyses }) =>
  (argument?: Parameters<typeof analyses.ablateLayer>[0]) =>
    analyses.ablateLayer(argument);

export const substituteFirstToken: CommandFactory =
  ({ analyses }) =>
  (argument?: Parameters<typeof analyses.substitute>[0]) =>
    analyses.substitute(argument);

export const showAnalyses: CommandFactory =
  ({ analysesPanel }) =>
  () =>
    analysesPanel.showPanel();
