/**
 * What a first-time user meets: the bundled demo model (models/sinklet) grows its sink on its task
 * language only, so an ordinary English or code prompt shows none. Said once here, where it
 * happens, by the CLI, the Sink Report and the exported page alike.
 */
import type { CircuitVerdict } from './report';

/** The demo model's sample prompts, in its folder. */
export const DEMO_PROMPTS_FILE = 'samples.txt';

/** The note for a run of the demo model that shows no sink; null when there is nothing to explain. */
export function demoModelNote(demoModel: boolean, circuit: CircuitVerdict): string | null {
  if (!demoModel || circuit.sinkOnsetLayer !== null) return null;
  return (
    'This is the bundled demo model (sinklet), trained on a made-up task language ("mab yot kux kaz dup tav …"). ' +
    'It grows its attention sink on that language; like real small models, it shows none on ordinary text. ' +
    `Try one of its sample prompts (${DEMO_PROMPTS_FILE} in its folder), or select a real model.`
  );
}
