/** What a run asked for, as the Sink Report shows it while the run starts and after it was cancelled or failed. */
import type { RunAsked } from '../../../protocol/channels/report';
import type { RunRequest } from '../../../protocol/channels/worker';
import { isModelIn } from '../../../engine/model/modelFiles';

/** Long prompts are shortened to this many characters in the panel's header. */
const PROMPT_SHOWN = 400;

/** `demoModelPath`: the bundled demo model's folder, to tell when a run is of it. */
export function runAsked(request: RunRequest, demoModelPath: string): RunAsked {
  const prompt = request.prompt.kind === 'text' ? request.prompt.text : `[${request.prompt.ids.join(', ')}]`;
  const modelPath = request.model.modelPath;
  return {
    runId: request.runId,
    prompt: prompt.length > PROMPT_SHOWN ? `${prompt.slice(0, PROMPT_SHOWN)}…` : prompt,
    source: request.prompt.source,
    modelPath,
    demoModel: isModelIn(modelPath, demoModelPath),
  };
}
