/**
 * "Ablate Each Head of Layer…" asks which layer: a quick pick of the model's layers (inspected from
 * its graph, no session), with their heads, sliding-window attention and where the paper finds the
 * P0 circuit; a number typed in when the model cannot be inspected.
 */
import * as vscode from 'vscode';
import { inspectModel } from '../../engine/model/inspectModel';

const TITLE = 'Sink Lens: ablate each head of which layer?';

export async function pickLayer(modelPath: string, log: vscode.LogOutputChannel): Promise<number | undefined> {
  let layers: number | null = null;
  let heads: number | null = null;
  let sliding: number[] = [];
  try {
    const inspection = inspectModel(modelPath);
    layers = inspection.layers;
    heads = inspection.heads;
    sliding = inspection.slidingWindowLayers;
  } catch (error) {
    log.warn(`could not inspect ${modelPath}: ${String(error)}`);
  }
  if (layers === null) {
    const typed = await vscode.window.showInputBox({
      title: TITLE,
      prompt: 'Layer number (0 = first)',
      ignoreFocusOut: true,
      validateInput: (text) => (/^\d+$/.test(text.trim()) ? null : 'a layer number'),
    });
    return typed === undefined ? undefined : Number(typed.trim());
  }
  const choice = await vscode.window.showQuickPick(
    Array.from({ length: layers }, (_, layer) => ({
      label: `Layer ${layer}`,
      description: [heads ? `${heads} heads` : '', sliding.includes(layer) ? 'sliding-window attention' : '', layer < 2 ? 'where the paper finds the P0 circuit' : ''].filter(Boolean).join(' · '),
      layer,
    })),
    { title: TITLE, placeHolder: 'Each head is removed in turn; all run as one batch', ignoreFocusOut: true },
  );
  return choice?.layer;
}
