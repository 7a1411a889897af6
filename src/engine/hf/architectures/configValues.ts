/**
 * Typed reads of config.json with one clear error for anything missing or malformed, naming the
 * key and the model type. Unsupported settings are refused by name (`unsupported`), never ignored.
 */
import { SinkLensError } from '../../errors';

export class ConfigValues {
  constructor(
    private readonly config: Record<string, unknown>,
    readonly modelType: string,
  ) {}

  has(key: string): boolean {
    return this.config[key] !== undefined && this.config[key] !== null;
  }

  raw(key: string): unknown {
    return this.config[key];
  }

  /** A positive integer; the first key present wins (GPT-2 configs say n_embd where others say hidden_size). */
  count(...keys: string[]): number {
    const key = keys.find((candidate) => this.has(candidate));
    if (key === undefined) throw this.invalid(`has no ${keys.join(' or ')}`);
    const value = this.config[key];
    if (!Number.isSafeInteger(value) || (value as number) <= 0) throw this.invalid(`says ${key} = ${JSON.stringify(value)}, not a positive integer`);
    return value as number;
  }

  optionalCount(key: string): number | null {
    return this.has(key) ? this.count(key) : null;
  }

  number(key: string, fallback: number): number {
    if (!this.has(key)) return fallback;
    const value = this.config[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw this.invalid(`says ${key} = ${JSON.stringify(value)}, not a number`);
    return value;
  }

  /** A number, null when config.json says null (a feature switched off), `fallback` when the key is absent (the config class's default). */
  numberOrNull(key: string, fallback: number | null): number | null {
    if (this.config[key] === null) return null;
    if (this.config[key] === undefined) return fallback;
    return this.number(key, 0);
  }

  flag(key: string, fallback: boolean): boolean {
    if (!this.has(key)) return fallback;
    const value = this.config[key];
    if (typeof value !== 'boolean') throw this.invalid(`says ${key} = ${JSON.stringify(value)}, not true or false`);
    return value;
  }

  text(key: string, fallback: string): string {
    if (!this.has(key)) return fallback;
    const value = this.config[key];
    if (typeof value !== 'string') throw this.invalid(`says ${key} = ${JSON.stringify(value)}, not a string`);
    return value;
  }

  invalid(what: string): SinkLensError {
    return new SinkLensError('model', 'bad-config', `config.json of this ${this.modelType} model ${what}; fix config.json or use the model's own`);
  }

  /** A setting Sink Lens does not build: refused by name, so no silently wrong graph is ever built. */
  unsupported(setting: string, supported: string): SinkLensError {
    return new SinkLensError(
      'model',
      'unsupported-config',
      `config.json of this ${this.modelType} model asks for ${setting}, which Sink Lens cannot build (it builds ${supported}); nothing was built`,
    );
  }
}
