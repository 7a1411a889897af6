/** transformers' ACT2FN names → the activations the graph builder spells (graphOps.ts), and one refusal for the rest. */
import type { ConfigValues } from './configValues';
import type { Activation } from './decoderSpec';

const ACTIVATIONS: Record<string, Activation> = {
  gelu_new: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  gelu_fast: 'gelu_tanh',
  gelu: 'gelu',
  relu: 'relu',
  silu: 'silu',
  swish: 'silu',
};

/** The activation config.json names under the first of `keys` it has (else `fallback`), if it is one of `allowed`. */
export function activationOf(config: ConfigValues, keys: string[], fallback: string, allowed: Activation[] = Object.values(ACTIVATIONS)): Activation {
  const key = keys.find((candidate) => config.has(candidate));
  const name = key === undefined ? fallback : config.text(key, fallback);
  const activation = ACTIVATIONS[name];
  if (!activation || !allowed.includes(activation)) {
    const names = Object.keys(ACTIVATIONS).filter((known) => allowed.includes(ACTIVATIONS[known]));
    throw config.unsupported(`${key ?? keys[0]} '${name}'`, `${names.join(', ')} for this model type`);
  }
  return activation;
}
