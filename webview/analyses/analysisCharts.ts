/**
 * The analyses' charts: depth or layer curves and bars in the theme's colours (kit/chart.ts's
 * defaults), kept in one list so that a re-render (a new analysis, a theme change) destroys the
 * previous ones.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import { chartOptions, legendOptions, withAlpha } from '../kit/chart';
import { h } from '../kit/dom';
import { readTheme } from '../kit/theme';

Chart.register(LineController, LineElement, PointElement, BarController, BarElement, LinearScale, CategoryScale, Tooltip, Legend);

const charts: Chart[] = [];

/** Destroys every chart drawn so far (before the page is drawn again). */
export function destroyCharts(): void {
  for (const chart of charts.splice(0)) chart.destroy();
}

export const DEPTH_AXIS = 'depth (0 = embeddings; l + 0.5 = after attention of block l; SW = sliding-window layer)';

export function lineChart(
  label: string,
  labels: string[],
  datasets: { label: string; data: (number | null)[]; color: string; dash?: number[] }[],
  yTitle: string,
  xTitle = DEPTH_AXIS,
): HTMLCanvasElement {
  const theme = readTheme();
  const canvas = h('canvas', { role: 'img', 'aria-label': label });
  charts.push(
    new Chart(canvas, {
      type: 'line',
      data: {
        labels,
        datasets: datasets.map((set) => ({
          label: set.label,
          data: set.data,
          borderColor: set.color,
          backgroundColor: set.color,
          borderDash: set.dash,
          borderWidth: 2.5,
          pointRadius: 3,
          spanGaps: true,
        })),
      },
      options: { ...chartOptions(theme, xTitle, yTitle), plugins: { legend: legendOptions(theme) } },
    }),
  );
  return canvas;
}

export function barChart(label: string, labels: string[], values: number[], yTitle: string, colors?: string[]): HTMLCanvasElement {
  const theme = readTheme();
  const canvas = h('canvas', { role: 'img', 'aria-label': label });
  charts.push(
    new Chart(canvas, {
      type: 'bar',
      data: { labels, datasets: [{ label: yTitle, data: values, backgroundColor: colors ?? theme.accent, borderWidth: 0 }] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { ticks: { color: theme.muted }, grid: { display: false } },
          y: { title: { display: true, text: yTitle, color: theme.muted }, ticks: { color: theme.muted }, grid: { color: withAlpha(theme.grid, 0.5) } },
        },
        plugins: { legend: { display: false } },
      },
    }),
  );
  return canvas;
}
