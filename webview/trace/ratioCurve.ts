/** The selected checkpoint's P0 norm ratio by depth, with the first and last checkpoints for comparison. */
import { CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import type { TraceCheckpoint } from '../../src/protocol/trace';
import { chartOptions, legendOptions, pngOf } from '../kit/chart';
import { h } from '../kit/dom';
import { readTheme } from '../kit/theme';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Tooltip, Legend);

export class RatioCurve {
  readonly canvas = h('canvas', { role: 'img', 'aria-label': "The selected checkpoint's P0 norm ratio by depth, with the first and last checkpoints for comparison." });
  private chart: Chart<'line'> | null = null;

  render(checkpoints: TraceCheckpoint[], selected: number): void {
    const theme = readTheme();
    const current = checkpoints[selected];
    if (!current) return;
    const first = checkpoints[0];
    const last = checkpoints[checkpoints.length - 1];
    this.chart?.destroy();
    this.chart = new Chart(this.canvas, {
      type: 'line',
      data: {
        labels: current.depths.map(String),
        datasets: [
          { label: `step ${first.step}`, data: first.p0NormRatio, borderColor: theme.muted, backgroundColor: theme.muted, borderDash: [2, 3], borderWidth: 1.5, pointRadius: 2 },
          { label: `step ${last.step}`, data: last.p0NormRatio, borderColor: theme.second, backgroundColor: theme.second, borderDash: [6, 4], borderWidth: 1.5, pointRadius: 2 },
          { label: `step ${current.step} (selected)`, data: current.p0NormRatio, borderColor: theme.accent, backgroundColor: theme.accent, borderWidth: 3, pointRadius: 3 },
        ],
      },
      options: { ...chartOptions(theme, 'depth', 'P0 norm ratio (×)'), plugins: { legend: legendOptions(theme) } },
    });
  }

  toPng(): string | null {
    return this.chart ? pngOf(this.chart.canvas) : null;
  }
}
