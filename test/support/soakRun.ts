/**
 * Consecutive analyses in one process, alternating models and prompt lengths, through the same
 * AnalyzerPool the worker uses. Returns RSS after warm-up and at the end.
 */
import { AnalyzerPool } from '../../src/engine/analyzerPool';

export interface SoakResult {
  runs: number;
  warmRssMb: number;
  finalRssMb: number;
  growth: number;
}

export async function soak(models: string[], runs: number, warmup = Math.min(20, runs >> 2), onRun?: (run: number, rssMb: number) => void): Promise<SoakResult> {
  const lengths = [8, 64, 200, 32];
  const pool = new AnalyzerPool(models.length);
  let warmRss = 0;
  for (let i = 0; i < runs; i++) {
    const analyzer = await pool.get(models[Math.floor(i / 5) % models.length], 'cpu');
    const length = Math.min(lengths[i % lengths.length], analyzer.contextLength ?? Infinity);
    const ids = Array.from({ length }, (_, t) => (t * 31 + i) % Math.min(250, analyzer.model.vocabSize));
    await analyzer.analyze({ kind: 'ids', ids, source: 'soak' }, { addBos: false });
    onRun?.(i + 1, process.memoryUsage().rss / 2 ** 20);
    if (i + 1 === warmup) {
      global.gc?.();
      warmRss = process.memoryUsage().rss;
    }
  }
  if (pool.size !== models.length) throw new Error(`the pool holds ${pool.size} sessions, expected ${models.length}`);
  await pool.disposeAll();
  global.gc?.();
  const finalRss = process.memoryUsage().rss;
  return { runs, warmRssMb: warmRss / 2 ** 20, finalRssMb: finalRss / 2 ** 20, growth: finalRss / warmRss - 1 };
}
