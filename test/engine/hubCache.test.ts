/**
 * Models named by hub id, found in a local Hugging Face hub cache laid out as huggingface_hub lays
 * it out (refs/<revision> → snapshots/<commit>/ whose files are symlinks into blobs/), and the list
 * of cached checkpoints a model picker shows.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Analyzer } from '../../src/engine/analyzer';
import { AnalyzerPool } from '../../src/engine/analyzerPool';
import { hubCacheFolder, listHubCheckpoints, modelPathExists, parseHubId, resolveHubSnapshot } from '../../src/engine/hf/hubCache';
import { assertClose } from '../support/compare';
import { folderSnapshot } from '../support/folderSnapshot';
import { hubCacheFixture, HUB_MODEL } from '../support/hfFixtures';
import { assertMatchesReference } from '../support/referenceChecks';
import { torchMissing } from '../support/torchReference';

const IDS = Array.from({ length: 24 }, (_, i) => (i * 37) % 256);

describe('hub ids', () => {
  it('parses org/name[@revision] and leaves paths alone', () => {
    assert.deepEqual(parseHubId('Qwen/Qwen2.5-0.5B'), { repoId: 'Qwen/Qwen2.5-0.5B', revision: null });
    assert.deepEqual(parseHubId('meta-llama/Llama-2-7b-hf@main'), { repoId: 'meta-llama/Llama-2-7b-hf', revision: 'main' });
    assert.deepEqual(parseHubId('org/name@refs/pr/1'), { repoId: 'org/name', revision: 'refs/pr/1' });
    assert.deepEqual(parseHubId('gpt2'), { repoId: 'gpt2', revision: null });
    for (const path of ['./models/x', '/abs/model', 'a/b/c', '../x', 'x/model.onnx', 'a/..', '', '@main']) assert.equal(parseHubId(path), null, path);
  });

  it('finds the cache where huggingface_hub puts it', () => {
    assert.equal(hubCacheFolder({ HF_HUB_CACHE: '/c', HF_HOME: '/h' }), '/c');
    assert.equal(hubCacheFolder({ HUGGINGFACE_HUB_CACHE: '/old', HF_HOME: '/h' }), '/old');
    assert.equal(hubCacheFolder({ HF_HOME: '/h', XDG_CACHE_HOME: '/x' }), '/h/hub');
    assert.equal(hubCacheFolder({ XDG_CACHE_HOME: '/x' }), '/x/huggingface/hub');
    assert.equal(hubCacheFolder({}), join(homedir(), '.cache', 'huggingface', 'hub'));
  });
});

describe('a model in the hub cache, by id', { skip: torchMissing() ?? false }, () => {
  let hub: string;
  let env: NodeJS.ProcessEnv;
  const saved = process.env.HF_HUB_CACHE;
  before(() => {
    hub = hubCacheFixture();
    env = { HF_HUB_CACHE: hub };
    process.env.HF_HUB_CACHE = hub;
  });
  after(() => {
    if (saved === undefined) delete process.env.HF_HUB_CACHE;
    else process.env.HF_HUB_CACHE = saved;
  });

  const refOf = (name: string) => readFileSync(join(hub, 'models--sink-lens--tiny-llama', 'refs', name), 'utf8').trim();

  it('resolves a branch, a full commit and a unique commit prefix to the snapshot folder', () => {
    const main = refOf('main');
    const early = refOf('early');
    assert.equal(resolveHubSnapshot({ repoId: HUB_MODEL, revision: null }, env).commit, main);
    assert.equal(resolveHubSnapshot({ repoId: HUB_MODEL, revision: 'early' }, env).commit, early);
    assert.equal(resolveHubSnapshot({ repoId: HUB_MODEL, revision: early }, env).folder, join(hub, 'models--sink-lens--tiny-llama', 'snapshots', early));
    assert.equal(resolveHubSnapshot({ repoId: HUB_MODEL, revision: early.slice(0, 8) }, env).commit, early);
  });

  it('lists the cached checkpoints for a model picker, saying which it cannot build', () => {
    const cache = join(mkdtempSync(join(tmpdir(), 'sink-lens-hub-')), 'hub');
    cpSync(hub, cache, { recursive: true, verbatimSymlinks: true });
    const other = join(cache, 'models--someone--encoder', 'snapshots', 'f'.repeat(40));
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, 'config.json'), JSON.stringify({ model_type: 'bert' }));
    writeFileSync(join(other, 'model.safetensors'), '');
    const listed = listHubCheckpoints({ HF_HUB_CACHE: cache }).map(({ modelPath, revision, modelType, supported, reason }) => ({ modelPath, revision, modelType, supported, reason }));
    assert.deepEqual(
      listed.sort((a, b) => a.modelPath.localeCompare(b.modelPath)),
      [
        { modelPath: HUB_MODEL, revision: 'main', modelType: 'llama', supported: true, reason: null },
        { modelPath: `${HUB_MODEL}@early`, revision: 'early', modelType: 'llama', supported: true, reason: null },
        {
          modelPath: `someone/encoder@${'f'.repeat(40)}`,
          revision: null,
          modelType: 'bert',
          supported: false,
          reason: "model_type 'bert' is not one Sink Lens builds (llama, mistral, qwen2, qwen3, phi3, gemma2, gemma3_text, olmo2, qwen3_moe, gpt2, gpt_neox)",
        },
      ],
    );
    assert.deepEqual(listHubCheckpoints({ HF_HUB_CACHE: join(hub, 'no-such-folder') }), []);
    assert.equal(modelPathExists(`${HUB_MODEL}@early`, env), true);
    assert.equal(modelPathExists(`${HUB_MODEL}@v9`, env), false);
    assert.equal(modelPathExists('nobody/nothing', env), false);
  });

  it('opens by id with the numbers of the reference, and writes nothing into the cache', async () => {
    const before = folderSnapshot(hub);
    const analyzer = await Analyzer.open(HUB_MODEL, { device: 'cpu' });
    try {
      const snapshot = resolveHubSnapshot({ repoId: HUB_MODEL, revision: null }, env).folder;
      assert.deepEqual(analyzer.model.checkpoint, { format: 'safetensors', folder: snapshot, hubId: HUB_MODEL, revision: null, commit: refOf('main'), builtGraph: analyzer.files.onnx });
      assert.equal(analyzer.hasTokenizer, true, 'tokenizer.json from the snapshot');
      await assertMatchesReference(analyzer, snapshot, IDS, 1);
    } finally {
      await analyzer.dispose();
    }
    assert.deepEqual(folderSnapshot(hub), before, 'the hub cache is as it was');
  });

  it('another revision is another model', async () => {
    const [main, early] = [await Analyzer.open(HUB_MODEL, { device: 'cpu' }), await Analyzer.open(`${HUB_MODEL}@early`, { device: 'cpu' })];
    try {
      assert.notEqual(main.files.onnx, early.files.onnx, 'same shapes, other weights: another built graph and other links');
      const input = { kind: 'ids' as const, ids: IDS, source: 'test' };
      const [a, b] = [await main.analyze(input, { addBos: false }), await early.analyze(input, { addBos: false })];
      assert.throws(() => assertClose(a.residual.norms, b.residual.norms, 'norms', 1e-2));
      await assertMatchesReference(early, resolveHubSnapshot({ repoId: HUB_MODEL, revision: 'early' }, env).folder, IDS, 1);
    } finally {
      await main.dispose();
      await early.dispose();
    }
  });

  it("the worker's pool opens a hub id like a path", async () => {
    const pool = new AnalyzerPool(1);
    try {
      const analyzer = await pool.get(HUB_MODEL, 'cpu');
      assert.equal(analyzer.model.checkpoint?.hubId, HUB_MODEL);
      assert.equal(await pool.get(HUB_MODEL, 'cpu'), analyzer, 'reused while the revision names the same commit');
    } finally {
      await pool.disposeAll();
    }
  });
});
