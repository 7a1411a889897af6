/**
 * The engine's entry point: open a model once, then analyse prompts with it. Used by the CLI and by
 * the extension's worker.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import type { AnalyzeOptions, AttentionMaps, PromptInput } from './api';
import { SinkLensError, throwIfAborted } from './errors';
import { DEFAULT_EPSILON } from '../protocol/measures';
import { readDeclaredConfig, DeclaredConfig } from './model/modelConfig';
import { graphLayout } from './model/graphLayout';
import { locateModelFiles, ModelFiles } from './model/modelFiles';
import { openModel } from './model/openModel';
import type { ProbedModel } from './model/preparedModel';
import { ProbeRequest, ProbeResults, runProbes } from './probeRun';
import type { CheckpointSource, Device, ExecutionProvider, ModelSummary, ReportToken, ReportWarning, SinkReport } from '../protocol/report';
import { buildReport } from './reportBuilder';
import { onnxruntimeVersion } from './runtime/sessionFactory';
import { PromptTokenizer } from './tokenizer';

/** The demo model shipped in the package (models/sinklet), found relative to the bundle or the sources. */
export function bundledModelPath(): string {
  // dist/cli.js, dist/worker.js and out/src/engine/*.js all sit two or fewer levels below the root.
  for (let folder = __dirname, i = 0; i < 4; i++, folder = dirname(folder)) {
    const candidate = join(folder, 'models', 'sinklet');
    if (existsSync(join(candidate, 'model.onnx'))) return candidate;
  }
  return join(__dirname, '..', 'models', 'sinklet');
}

export interface TokenizedInput {
  tokens: ReportToken[];
  text: string | null;
  warnings: ReportWarning[];
}

export class Analyzer {
  private constructor(
    readonly files: ModelFiles,
    readonly model: ModelSummary,
    readonly executionProvider: ExecutionProvider,
    readonly fallbackReason: string | null,
    private readonly prepared: ProbedModel,
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: PromptTokenizer | null,
    private readonly declared: DeclaredConfig,
    private readonly loadMs: number,
    /** What every report of this model must say (how it was computed). */
    readonly modelWarnings: ReportWarning[],
    /** Whether opening reused what an earlier open of the same file learnt (model/openCache.ts). */
    readonly openedFromCache: boolean,
  ) {}

  static async open(modelPath: string, options: { device: Device; sharedTokenizer?: string }): Promise<Analyzer> {
    const started = performance.now();
    const files = locateModelFiles(modelPath, options.sharedTokenizer);
    const opened = await openModel(files.onnx, options.device);
    const prepared = opened.probed;
    const declared = readDeclaredConfig(files, prepared.model.metadata);
    const tokenizer = files.tokenizer ? PromptTokenizer.load(files.tokenizer) : null;
    const table = prepared.layout.embeddingTable;
    const vocabSize = table?.dims[0] ?? declared.vocabSize ?? 0;
    const { findings } = opened;
    const bosTokenId = declared.bosTokenId ?? bosFromTokenizer(tokenizer, declared.bosToken);
    const model: ModelSummary = {
      path: modelPath,
      architecture: declared.architecture ?? (prepared.layout.learnedPositions ? 'gpt2' : 'llama'),
      layers: prepared.layout.layers.length,
      heads: findings.heads,
      kvHeads: declared.kvHeads ?? inferKvHeads(prepared, findings.heads),
      hiddenSize: findings.hiddenSize,
      vocabSize,
      attention: prepared.attentionPath,
      bosTokenId,
      dtype: prepared.dtype,
      slidingWindowLayers: declared.slidingWindowLayers,
      torchDtype: declared.torchDtype,
      checkpoint: checkpointSource(files),
      layout: files.checkpoint?.layout ?? graphLayout(prepared.matchedLayout, declared),
    };
    const loadMs = performance.now() - started;
    const warnings = [...(files.checkpoint?.warnings ?? []), ...(prepared.bfloat16InFloat32 ? [bfloat16InFloat32Warning()] : []), ...findings.warnings];
    return new Analyzer(files, model, opened.executionProvider, opened.fallbackReason, prepared, opened.session, tokenizer, declared, loadMs, warnings, opened.fromCache);
  }

  /** The vocabulary's spelling of a token id. */
  tokenText(id: number): string {
    return this.tokenizer?.idToToken(id) ?? `<${id}>`;
  }

  isSpecialToken(id: number): boolean {
    return this.tokenizer?.tokenFor(id).special ?? false;
  }

  /** The id of `text` when the tokenizer encodes it as exactly one token. */
  async singleTokenId(text: string): Promise<number | null> {
    if (!this.tokenizer) return null;
    const { tokens } = await this.tokenizer.encode(text);
    return tokens.length === 1 ? tokens[0].id : (tokens.find((token) => token.text.endsWith(text))?.id ?? null);
  }

  /** The model's own logits output (the first graph output that is not a probe or a KV cache), if any. */
  get logitsOutput(): string | null {
    const output = this.prepared.model.graph.outputs.find((candidate) => !/present|past|key|value/i.test(candidate.name));
    return output?.name ?? null;
  }

  get hasTokenizer(): boolean {
    return this.tokenizer !== null;
  }

  get contextLength(): number | null {
    return this.declared.contextLength;
  }

  /** Whether a BOS token is prepended when the caller does not say (tokenizer_config's add_bos_token). */
  get addsBosByDefault(): boolean {
    return this.declared.addBosToken ?? this.model.bosTokenId !== null;
  }

  async analyze(input: PromptInput, options: AnalyzeOptions): Promise<SinkReport> {
    const tokenizeStart = performance.now();
    const prompt = await this.tokenize(input, options);
    const tokenizeMs = performance.now() - tokenizeStart;
    throwIfAborted(options.signal);
    const runStart = performance.now();
    const probes = await this.probe({ rows: [prompt.tokens.map((token) => token.id)] });
    const runMs = performance.now() - runStart;
    throwIfAborted(options.signal);
    const summarizeStart = performance.now();
    const report = this.report(probes, 0, input, prompt, options, { tokenize: tokenizeMs, run: runMs });
    report.runtime.timingsMs.summarize = performance.now() - summarizeStart;
    return report;
  }

  /** One forward pass of the probed model over one or more equal-length rows (see ProbeRequest). */
  probe(request: ProbeRequest): Promise<ProbeResults> {
    return runProbes(this.session, this.prepared, request);
  }

  /** The report for row `row` of a probe run. */
  report(probes: ProbeResults, row: number, input: PromptInput, prompt: TokenizedInput, options: AnalyzeOptions, timings = { tokenize: 0, run: 0 }): SinkReport {
    return buildReport(
      probes,
      {
        model: this.model,
        runtime: {
          executionProvider: this.executionProvider,
          fallbackReason: this.fallbackReason,
          onnxruntime: onnxruntimeVersion,
          timingsMs: { load: this.loadMs, ...timings, summarize: 0 },
        },
        prompt: { text: prompt.text, source: input.source, bos: input.kind === 'text' && options.addBos },
        tokens: prompt.tokens,
        epsilon: options.epsilon ?? DEFAULT_EPSILON,
        warnings: [...prompt.warnings, ...this.modelWarnings],
      },
      row,
    );
  }

  /** One layer's full attention probabilities, computed by a rerun (maps are never kept between runs). */
  async attentionMaps(input: PromptInput, layer: number, options: AnalyzeOptions): Promise<AttentionMaps> {
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.model.layers) {
      throw new SinkLensError('usage', 'bad-layer', `layer ${layer} does not exist; the model has layers 0-${this.model.layers - 1}`);
    }
    const { tokens } = await this.tokenize(input, options);
    throwIfAborted(options.signal);
    const probes = await this.probe({ rows: [tokens.map((token) => token.id)], mapLayer: layer });
    return { layer, heads: probes.heads, tokens: tokens.length, data: probes.attentionMap! };
  }

  /** Full hidden states of the first `prefixLength` positions at every depth: [depth][position * hidden]. */
  async leadingHiddenStates(input: PromptInput, prefixLength: number, options: AnalyzeOptions): Promise<Float32Array[]> {
    const { tokens } = await this.tokenize(input, options);
    const request: ProbeRequest = { rows: [tokens.map((token) => token.id)], prefixLength: Math.min(prefixLength, tokens.length) };
    return (await this.probe(request)).rows[0].hidden;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }

  /** The prompt's tokens as the model will see them (BOS added, limits checked). */
  async tokenize(input: PromptInput, options: AnalyzeOptions): Promise<TokenizedInput> {
    const warnings: ReportWarning[] = [];
    let tokens: ReportToken[];
    let text: string | null = null;
    if (input.kind === 'ids') {
      const bad = input.ids.find((id) => !Number.isInteger(id) || id < 0 || id >= this.model.vocabSize);
      if (bad !== undefined) {
        throw new SinkLensError('usage', 'bad-token-id', `token id ${bad} is outside the model's vocabulary (0-${this.model.vocabSize - 1})`);
      }
      tokens = input.ids.map((id) => this.tokenizer?.tokenFor(id) ?? { id, text: `<${id}>`, start: 0, end: 0, special: false });
    } else {
      if (!this.tokenizer) {
        // Each front end adds its own way to pass ids (the CLI's --ids, the extension's command).
        throw new SinkLensError('model', 'no-tokenizer', `this model folder has no tokenizer.json: ${this.files.folder}; put the model's own tokenizer.json there, or analyse token ids`);
      }
      if (input.text.length === 0) throw new SinkLensError('usage', 'empty-prompt', 'the prompt is empty; select or write some text to analyse');
      const encoded = await this.tokenizer.encode(input.text);
      text = encoded.text;
      tokens = encoded.tokens;
      const outside = tokens.find((token) => token.id >= this.model.vocabSize);
      if (outside) {
        throw new SinkLensError(
          'model',
          'tokenizer-mismatch',
          `tokenizer.json gave token id ${outside.id} (${JSON.stringify(outside.text)}) but the model's embedding has only ${this.model.vocabSize} rows: the tokenizer belongs to another model; put the model's own tokenizer.json beside it`,
        );
      }
      if (this.tokenizer.vocabSize > this.model.vocabSize) {
        warnings.push({
          code: 'tokenizer-mismatch',
          message: `tokenizer.json has ${this.tokenizer.vocabSize} tokens but the embedding has ${this.model.vocabSize} rows; they may not belong together`,
        });
      }
      if (options.addBos) {
        const bos = options.bosId ?? this.model.bosTokenId;
        if (bos === null) {
          throw new SinkLensError('usage', 'no-bos', 'the model declares no BOS token; give one (--bos-id / sinkLens.bosTokenId) or analyse without BOS');
        }
        tokens.unshift({ ...this.tokenizer.tokenFor(bos), special: true });
      }
    }
    if (tokens.length < 2) {
      throw new SinkLensError('usage', 'prompt-too-short', `the prompt has ${tokens.length} token${tokens.length === 1 ? '' : 's'}; sink measures need at least 2`);
    }
    const limit = Math.min(options.maxTokens || Infinity, this.declared.contextLength ?? Infinity);
    if (tokens.length > limit && options.truncate) {
      warnings.push({ code: 'truncated', message: `the prompt had ${tokens.length} tokens; only the first ${limit} were analysed` });
      tokens = tokens.slice(0, limit);
    } else if (tokens.length > limit) {
      const why = limit === options.maxTokens ? `the limit of ${limit} tokens (maxTokens)` : `the model's context of ${limit} tokens`;
      throw new SinkLensError('usage', 'prompt-too-long', `the prompt has ${tokens.length} tokens, more than ${why}; shorten it or raise the limit`);
    }
    return { tokens, text, warnings };
  }
}

function bfloat16InFloat32Warning(): ReportWarning {
  return {
    code: 'bfloat16-computed-in-float32',
    message: `this model computes in bfloat16; onnxruntime ${onnxruntimeVersion}'s CPU provider has no bfloat16 arithmetic, so Sink Lens computed it in float32 from its bfloat16 weights: numbers may differ from a bfloat16 run (on CUDA) by bfloat16 rounding, about 1e-2 relative (a few 1e-2 for single attention weights)`,
  };
}

function checkpointSource(files: ModelFiles): CheckpointSource | null {
  const built = files.checkpoint;
  if (!built) return null;
  return { format: 'safetensors', folder: built.folder, hubId: built.hub?.repoId ?? null, revision: built.hub?.revision ?? null, commit: built.hub?.commit ?? null, builtGraph: built.onnx };
}

/** The id of tokenizer_config.json's bos_token, else of the first usual BOS spelling the vocabulary has. */
function bosFromTokenizer(tokenizer: PromptTokenizer | null, declaredToken: string | null): number | null {
  if (!tokenizer) return null;
  for (const candidate of [...(declaredToken ? [declaredToken] : []), '<s>', '<|begin_of_text|>', '<bos>', '<|endoftext|>', '<|im_start|>']) {
    const id = tokenizer.tokenToId(candidate);
    if (id !== null) return id;
  }
  return null;
}

/** With separate q, k, v projections, k's width over q's gives the KV-head share. */
function inferKvHeads(prepared: ProbedModel, heads: number): number | null {
  const widths = prepared.layout.layers[0]?.projectionWidths ?? [];
  if (widths.length !== 3) return null;
  const kvHeads = (heads * Math.min(...widths)) / Math.max(...widths);
  return Number.isInteger(kvHeads) ? kvHeads : null;
}
