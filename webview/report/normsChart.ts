/**
 * The residual-stream norm across depths 0, 0.5, …, L (the paper's Figures 2-3): position 0 against
 * the median of the other positions, with their range as a band. A model with parallel blocks has
 * no state after their attention: the axis says so (src/protocol/depths.ts).
 */
import { CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import { chartOptions, ThemedChart, withAlpha } from '../kit/chart';
import type { ThemeColors } from '../kit/theme';
import { depthAxisTitle } from '../../src/protocol/depths';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Filler, Tooltip, Legend);

export interface NormSeries {
  depths: number[];
  p0: number[];
  median: number[];
  min: number[];
  max: number[];
}

/** P0 vs the rest at each depth, from norms[depth][position]; NaN (a position the graph does not compute) is left out, and a NaN point is a gap in the chart. */
export function normSeries(depths: number[], norms: ArrayLike<number>[]): NormSeries {
  const series: NormSeries = { depths, p0: [], median: [], min: [], max: [] };
  for (const row of norms) {
    const rest = Array.from(row)
      .slice(1)
      .filter((norm) => !Number.isNaN(norm))
      .sort((a, b) => a - b);
    series.p0.push(row[0]);
    series.median.push(rest.length ? (rest.length % 2 ? rest[(rest.length - 1) / 2] : (rest[rest.length / 2 - 1] + rest[rest.length / 2]) / 2) : NaN);
    series.min.push(rest.length ? rest[0] : NaN);
    series.max.push(rest.length ? rest[rest.length - 1] : NaN);
  }
  return series;
}

export class NormsChart extends ThemedChart<NormSeries, 'line'> {
  constructor() {
    super('Line chart of hidden-state norms by depth: position 0 against the other positions.');
    this.canvas.dataset.testid = 'norms-chart';
  }

  protected build({ depths, p0, median, min, max }: NormSeries, theme: ThemeColors): Chart<'line'> {
    const axis = depthAxisTitle(depths);
    this.canvas.setAttribute('aria-label', `Line chart of hidden-state norms by ${axis}: position 0 against the other positions.`);
    return new Chart(this.canvas, {
      type: 'line',
      data: {
        labels: depths.map(String),
        datasets: [
          { label: 'other positions: range', data: max, borderWidth: 0, pointRadius: 0, backgroundColor: withAlpha(theme.second, 0.18), fill: '+1' },
          { label: 'other positions: min', data: min, borderWidth: 0, pointRadius: 0, fill: false },
          { label: 'median of other positions', data: median, borderColor: theme.second, backgroundColor: theme.second, borderDash: [5, 4], borderWidth: 2, pointRadius: 2 },
          { label: 'position 0 (P0)', data: p0, borderColor: theme.accent, backgroundColor: theme.accent, borderWidth: 3, pointRadius: 3 },
        ],
      },
      options: {
        ...chartOptions(theme, axis, 'L2 norm of the hidden state'),
        plugins: {
          legend: {
            labels: {
              color: theme.foreground,
              filter: (item) => item.text !== 'other positions: min',
              // Each entry drawn as its series is: the range as a filled box, the lines as lines (the median dashed).
              usePointStyle: true,
              pointStyleWidth: 28,
              boxHeight: 8,
              generateLabels: (chart) =>
                Chart.defaults.plugins.legend.labels
                  .generateLabels(chart)
                  .map((item) => (item.datasetIndex === 0 ? { ...item, pointStyle: 'rect' as const } : { ...item, pointStyle: 'line' as const, lineWidth: 2 })),
            },
          },
          tooltip: { filter: (item) => item.dataset.label !== 'other positions: min' },
        },
      },
    });
  }
}
