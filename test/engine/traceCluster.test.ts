/**
 * Traces beyond one machine, as docs/TRACE.md tells a user to run them: the Slurm array script and
 * its dependent assembly, and the Kubernetes indexed Job and its assembly Job, are taken from the
 * document and run as written (three shards at once against one cache, with the index a scheduler
 * would give each), on the demo model's checkpoints as hub revisions and as a Trainer output_dir.
 * Each assembled document must equal a one-process trace's byte for byte, and come entirely from
 * the cache; a truncated cache entry is measured again, not read; two processes measuring the same
 * checkpoints at once leave a cache that assembles to the same document.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TraceDocument } from '../../src/protocol/trace';
import { TRACE_HUB_MODEL, traceHubFixture, trainerRunFixture } from '../support/hfFixtures';
import { cliPath, repoRoot } from '../support/paths';
import { torchMissing } from '../support/torchReference';

const PROMPTS = join(repoRoot, 'models', 'sinklet', 'samples.txt');
const DOC = readFileSync(join(repoRoot, 'docs', 'TRACE.md'), 'utf8');

/** The fenced block that follows `<!-- file: NAME -->` in docs/TRACE.md. */
function docFile(name: string): string {
  const match = new RegExp(`<!-- file: ${name.replace(/\./g, '\\.')} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\\n\`\`\`\\n`).exec(DOC);
  assert.ok(match, `docs/TRACE.md has a block for ${name}`);
  return `${match[1]}\n`;
}

/** The names a Slurm script takes from the environment (`: "${NAME:=default}"`). */
const scriptSettings = (script: string) => [...script.matchAll(/^: "\$\{(\w+):=/gm)].map((match) => match[1]).sort();

/** A manifest's container: its shell command (the `- |` block under args), its env, and `completions`. */
function manifest(yaml: string): { command: string; env: Record<string, string>; completions: number | null } {
  const lines = yaml.split('\n');
  const start = lines.findIndex((line) => /^\s*- \|$/.test(line));
  assert.ok(start > 0, 'the manifest runs a `- |` block');
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() !== '' && line.search(/\S/) <= lines[start].search(/\S/)) break;
    body.push(line);
  }
  const indent = body[0].search(/\S/);
  const env = Object.fromEntries([...yaml.matchAll(/- \{ name: (\w+), value: (.*) \}$/gm)].map(([, key, value]) => [key, value.replace(/^"(.*)"$/, '$1')]));
  const completions = /^\s*completions: (\d+)$/m.exec(yaml);
  return { command: body.map((line) => line.slice(indent)).join('\n'), env, completions: completions ? Number(completions[1]) : null };
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const ok = (result: Finished, what: string) => assert.equal(result.code, 0, `${what} failed:\n${result.stdout}\n${result.stderr}`);

describe('traces on a cluster, as docs/TRACE.md writes them', { skip: torchMissing() ?? false }, () => {
  let root: string;
  let hub: string;
  let trainerRun: string;
  /** One process, no shards: what every assembled document must equal. */
  const single = new Map<string, string>();
  const shardScript = docFile('trace-shard.sbatch');
  const assembleScript = docFile('trace-assemble.sbatch');
  const shardJob = manifest(docFile('sink-trace-shards.yaml'));
  const assembleJob = manifest(docFile('sink-trace-assemble.yaml'));

  const settings = (name: string, checkpoints: string, revisions = '') => ({
    SINK_LENS: repoRoot,
    CHECKPOINTS: checkpoints,
    REVISIONS: revisions,
    PROMPTS,
    TRACE_CACHE: join(root, name, 'trace-cache'),
    HF_HUB_CACHE: hub,
    SINK_LENS_CACHE: join(root, name, 'graphs'),
    DEVICE: 'cpu',
    OUT: join(root, name, 'out'),
  });

  async function oneProcess(checkpoints: string, revisions: string[] = []): Promise<string> {
    const key = `${checkpoints} ${revisions.join(',')}`;
    if (!single.has(key)) {
      const out = join(root, 'single', `${single.size}.json`);
      const args = [cliPath, 'trace', '--checkpoints', checkpoints, ...(revisions.length ? ['--revisions', revisions.join(',')] : []), '--prompts', PROMPTS];
      const result = await run(process.execPath, [...args, '--cache', join(root, 'single', 'cache'), '--device', 'cpu', '--out', out], {
        ...process.env,
        HF_HUB_CACHE: hub,
        SINK_LENS_CACHE: join(root, 'single', 'graphs'),
      });
      ok(result, 'the one-process trace');
      single.set(key, readFileSync(out, 'utf8'));
    }
    return single.get(key)!;
  }

  /** The Slurm scripts: N array tasks at once, then the dependent assembly. */
  async function slurm(name: string, checkpoints: string, shards: number): Promise<{ shards: Finished[]; assembly: Finished; trace: string }> {
    const env = { ...process.env, ...settings(name, checkpoints) };
    writeFileSync(join(root, `${name}-shard.sbatch`), shardScript);
    writeFileSync(join(root, `${name}-assemble.sbatch`), assembleScript);
    const tasks = await Promise.all(
      Array.from({ length: shards }, (_, index) =>
        run('bash', [join(root, `${name}-shard.sbatch`)], { ...env, SLURM_ARRAY_TASK_ID: String(index), SLURM_ARRAY_TASK_COUNT: String(shards), SLURM_JOB_ID: '1' }),
      ),
    );
    tasks.forEach((task, index) => ok(task, `array task ${index}`));
    const assembly = await run('bash', [join(root, `${name}-assemble.sbatch`)], env);
    ok(assembly, 'the assembly job');
    return { shards: tasks, assembly, trace: readFileSync(join(env.OUT, 'trace.json'), 'utf8') };
  }

  before(() => {
    hub = traceHubFixture();
    trainerRun = trainerRunFixture();
    root = mkdtempSync(join(tmpdir(), 'sink-lens-cluster-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('the scripts and manifests take exactly the settings the test gives them', () => {
    const given = Object.keys(settings('x', '')).sort();
    assert.deepEqual(
      scriptSettings(shardScript),
      given.filter((key) => key !== 'OUT'),
    );
    assert.deepEqual(scriptSettings(assembleScript), given);
    assert.deepEqual(Object.keys(shardJob.env).sort(), [...given.filter((key) => key !== 'OUT'), 'SHARDS'].sort());
    assert.deepEqual(Object.keys(assembleJob.env).sort(), given);
    assert.equal(Number(shardJob.env.SHARDS), shardJob.completions, 'SHARDS says what completions says');
    assert.match(shardScript, /--shard "\$SLURM_ARRAY_TASK_ID\/\$SLURM_ARRAY_TASK_COUNT"/);
    assert.match(shardJob.command, /--shard "\$JOB_COMPLETION_INDEX\/\$SHARDS"/);
  });

  it('a shard that cannot be one is one line and exit 2', async () => {
    const args = [cliPath, 'trace', '--checkpoints', TRACE_HUB_MODEL, '--prompts', PROMPTS];
    const env = { ...process.env, HF_HUB_CACHE: hub };
    const refusals: [string[], RegExp][] = [
      [['--shard', '3/3', '--cache', root], /^sink-lens: --shard 3\/3: I is 0-based, so with 3 shards it is 0 to 2 \(as SLURM_ARRAY_TASK_ID with --array=0-2, or JOB_COMPLETION_INDEX\)/],
      [['--shard', '1of3', '--cache', root], /^sink-lens: --shard 1of3: expected I\/N with N ≥ 1 shards and I their 0-based index/],
      [['--shard', '0/0', '--cache', root], /^sink-lens: --shard 0\/0: expected I\/N with N ≥ 1/],
      [['--shard', '0/2'], /^sink-lens: --shard needs --cache DIR: the folder every shard and the final assembly share/],
      [
        ['--shard', '0/2', '--cache', root, '--out', join(root, 'x.json'), '--fail-if', 'loss > 1'],
        /^sink-lens: --shard measures its share into --cache and writes no trace: drop --out, --fail-if here/,
      ],
    ];
    for (const [extra, expected] of refusals) {
      const result = await run(process.execPath, [...args, ...extra], env);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, expected);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    }
  });

  it('Slurm: three array tasks at once on the hub revisions, then the assembly: the one-process document, all from the cache', async () => {
    const { shards, assembly, trace } = await slurm('slurm-hub', TRACE_HUB_MODEL, 3);
    const shared = shards.map((task, index) => {
      const line = new RegExp(`^shard ${index}/3: steps ([\\d, ]+) of 8 checkpoints are in .*\\((\\d+) measured now, 0 already there\\); assemble`).exec(task.stdout);
      assert.ok(line, task.stdout);
      assert.equal(Number(line[2]), line[1].split(', ').length, 'a shard measures its whole share');
      return line[1].split(', ').map(Number);
    });
    assert.deepEqual(shared, [
      [0, 1000, 4000],
      [250, 1500, 8000],
      [500, 2000],
    ]);
    assert.match(assembly.stderr, /sink-lens: 8 checkpoints, all from the cache\n/);
    assert.equal(trace, await oneProcess(TRACE_HUB_MODEL));
    const document = JSON.parse(trace) as TraceDocument;
    assert.ok(document.checkpoints[0].sinkRate.all < 0.1 && document.checkpoints[7].sinkRate.all >= 0.5, 'the sink emerges');
  });

  it('a truncated cache entry is measured again, not read, and the document is the same', async () => {
    const cache = join(root, 'slurm-hub', 'trace-cache');
    const entry = readdirSync(cache)
      .filter((name) => name.endsWith('.json'))
      .sort()[3];
    truncateSync(join(cache, entry), 100);
    const env = { ...process.env, ...settings('slurm-hub', TRACE_HUB_MODEL), OUT: join(root, 'slurm-hub', 'again') };
    const assembly = await run('bash', [join(root, 'slurm-hub-assemble.sbatch')], env);
    ok(assembly, 'the assembly job');
    assert.match(assembly.stderr, new RegExp(`step \\d+: the cached result ${join(cache, entry)} cannot be used \\(.*\\); measuring it again\\n`));
    assert.match(assembly.stderr, /8 checkpoints: 7 from the cache, 1 measured now \(step \d+ had no usable entry there\)/);
    assert.equal(readFileSync(join(env.OUT, 'trace.json'), 'utf8'), await oneProcess(TRACE_HUB_MODEL));
    JSON.parse(readFileSync(join(cache, entry), 'utf8')); // whole again
  });

  it('Kubernetes: three indexed pods at once on chosen revisions, then the assembly Job: the one-process document', async () => {
    const revisions = ['step0', 'step1000', 'step1500', 'step2000', 'step8000'];
    const env = { ...process.env, ...settings('k8s-hub', TRACE_HUB_MODEL, revisions.join(',')), SHARDS: '3' };
    const pods = await Promise.all([0, 1, 2].map((index) => run('sh', ['-c', shardJob.command], { ...env, JOB_COMPLETION_INDEX: String(index) })));
    pods.forEach((pod, index) => ok(pod, `pod ${index}`));
    assert.deepEqual(
      pods.map((pod) => /steps ([\d, ]+) of 5 checkpoints/.exec(pod.stdout)?.[1]),
      ['0, 2000', '1000, 8000', '1500'],
    );
    const assembly = await run('sh', ['-c', assembleJob.command], env);
    ok(assembly, 'the assembly Job');
    assert.match(assembly.stderr, /sink-lens: 5 checkpoints, all from the cache\n/);
    assert.equal(readFileSync(join(env.OUT, 'trace.json'), 'utf8'), await oneProcess(TRACE_HUB_MODEL, revisions));
  });

  it("Slurm on a Trainer's checkpoint-N folders: the one-process document", async () => {
    const { assembly, trace } = await slurm('slurm-trainer', trainerRun, 3);
    assert.match(assembly.stderr, /sink-lens: 7 checkpoints, all from the cache\n/);
    assert.equal(trace, await oneProcess(trainerRun));
  });

  it('two processes measuring the same checkpoints at once (one cache, one graph cache) leave what one process leaves', async () => {
    const cache = join(root, 'twice', 'cache');
    const env = { ...process.env, HF_HUB_CACHE: hub, SINK_LENS_CACHE: join(root, 'twice', 'graphs') };
    const args = [cliPath, 'trace', '--checkpoints', TRACE_HUB_MODEL, '--prompts', PROMPTS, '--cache', cache, '--device', 'cpu'];
    const both = await Promise.all([0, 1].map(() => run(process.execPath, [...args, '--shard', '0/1'], env)));
    both.forEach((result, index) => ok(result, `process ${index}`));
    const out = join(root, 'twice', 'trace.json');
    const assembly = await run(process.execPath, [...args, '--out', out], env);
    ok(assembly, 'the assembly');
    assert.match(assembly.stderr, /sink-lens: 8 checkpoints, all from the cache\n/);
    assert.equal(readFileSync(out, 'utf8'), await oneProcess(TRACE_HUB_MODEL));
    assert.deepEqual(
      readdirSync(cache).filter((name) => name.endsWith('.tmp')),
      [],
      'no temporary file is left',
    );
  });
});
