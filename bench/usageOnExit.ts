/**
 * Preloaded into a benchmark child (`node --require out/bench/usageOnExit.js …`): when the process
 * exits, however it exits, writes its wall time since it started and its CPU time to the file
 * named by $SINK_LENS_BENCH_USAGE, so that a whole CLI run can be measured from outside.
 */
import { writeFileSync } from 'node:fs';

const target = process.env.SINK_LENS_BENCH_USAGE;
if (target) {
  process.on('exit', () => {
    const cpu = process.cpuUsage();
    writeFileSync(target, JSON.stringify({ wallMs: performance.now(), cpuMs: (cpu.user + cpu.system) / 1000 }));
  });
}
