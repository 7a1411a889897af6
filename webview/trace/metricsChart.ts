/**
 * The sink metrics of every checkpoint against the training step (chart.js, logarithmic step axis
 * with step 0 drawn at the left edge): sink rates, concentration and the largest P0 norm ratio (on
 * its own axis), with the selected checkpoint marked; clicking a point selects its checkpoint.
 */
import { CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, Tooltip, type Plugin } from 'chart.js';
import type { TraceCheckpoint } from '../../src/protocol/trace';
import { pngOf, withAlpha } from '../kit/chart';
import { h } from '../kit/dom';
import { readTheme } from '../kit/theme';
import { maxRatio, stepLabel, zeroPosition } from './steps';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, CategoryScale, Tooltip, Legend);

export class MetricsChart {
  constructor(private readonly onSelect: (index: number) => void) {}

  readonly canvas = h('canvas', { role: 'img', 'aria-label': 'Line chart of sink rate, concentration and the largest P0 norm ratio against the training step (logarithmic).' });
  private chart: Chart<'line', { x: number; y: number | null }[]> | null = null;
  private selectedX: number | null = null;

  render(checkpoints: TraceCheckpoint[], selected: number): void {
    const theme = readTheme();
    const zero = zeroPosition(checkpoints);
    const x = (checkpoint: TraceCheckpoint) => (checkpoint.step === 0 ? zero : checkpoint.step);
    this.selectedX = checkpoints[selected] ? x(checkpoints[selected]) : null;
    const series = (pick: (checkpoint: TraceCheckpoint) => number | null) => checkpoints.map((checkpoint) => ({ x: x(checkpoint), y: pick(checkpoint) }));
    const third = theme.kind === 'light' ? '#2b8a3e' : '#69db7c';
    const green = getComputedStyle(document.body).getPropertyValue('--vscode-charts-green').trim() || third;
    const marker: Plugin<'line'> = {
      id: 'selectedStep',
      afterDatasetsDraw: (chart) => {
        if (this.selectedX === null) return;
        const scale = chart.scales.x;
        const px = scale.getPixelForValue(this.selectedX);
        const { top, bottom } = chart.chartArea;
        const context = chart.ctx;
        context.save();
        context.strokeStyle = theme.focus;
        context.lineWidth = 1.5;
        context.setLineDash([4, 3]);
        context.beginPath();
        context.moveTo(px, top);
        context.lineTo(px, bottom);
        context.stroke();
        context.restore();
      },
    };
    const steps = checkpoints.map(x);
    this.chart?.destroy();
    this.chart = new Chart(this.canvas, {
      type: 'line',
      data: {
        datasets: [
          {
            label: 'sinkRate[0:] (share of sink heads)',
            data: series((c) => c.sinkRate.all),
            borderColor: theme.accent,
            backgroundColor: theme.accent,
            borderWidth: 3,
            pointRadius: 3,
            yAxisID: 'y',
            clip: 8,
          },
          {
            label: 'sinkRate[2:] (from layer 2)',
            data: series((c) => c.sinkRate.fromLayer2),
            borderColor: theme.accent,
            backgroundColor: theme.accent,
            borderDash: [6, 4],
            borderWidth: 2,
            pointRadius: 4,
            pointStyle: 'triangle',
            yAxisID: 'y',
            clip: 8,
          },
          {
            label: 'concentration (share of P0 growth by depth 2)',
            data: series((c) => c.concentration),
            borderColor: green,
            backgroundColor: green,
            borderWidth: 2,
            pointRadius: 3,
            pointStyle: 'rect',
            yAxisID: 'y',
            clip: 8,
          },
          {
            label: 'max P0 norm ratio (right axis)',
            data: series(maxRatio),
            borderColor: theme.second,
            backgroundColor: theme.second,
            borderWidth: 2,
            pointRadius: 3,
            pointStyle: 'rectRot',
            yAxisID: 'ratio',
          },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: {
            type: 'logarithmic',
            min: zero / 1.25,
            max: Math.max(...steps) * 1.25,
            title: { display: true, text: 'training step (logarithmic; step 0 at the left edge)', color: theme.muted },
            ticks: { color: theme.muted, autoSkip: true, maxRotation: 0, callback: (value) => (Number(value) === zero ? '0' : stepLabel(Number(value))) },
            afterBuildTicks: (scale) => {
              scale.ticks = steps.map((value) => ({ value }));
            },
            grid: { color: withAlpha(theme.grid, 0.5) },
          },
          y: {
            min: 0,
            max: 1,
            position: 'left',
            title: { display: true, text: 'sink rate, concentration (0–1)', color: theme.muted },
            ticks: { color: theme.muted },
            grid: { color: withAlpha(theme.grid, 0.5) },
          },
          ratio: {
            position: 'right',
            beginAtZero: true,
            title: { display: true, text: 'max P0 norm ratio (×)', color: theme.second },
            ticks: { color: theme.muted },
            grid: { drawOnChartArea: false },
          },
        },
        plugins: {
          legend: { labels: { color: theme.foreground, usePointStyle: true, boxHeight: 6 } },
          tooltip: {
            callbacks: {
              title: (items) => {
                const index = items[0]?.dataIndex ?? 0;
                return `step ${checkpoints[index]?.step ?? ''}`;
              },
            },
          },
        },
        onClick: (_event, elements) => {
          if (elements[0]) this.onSelect(elements[0].index);
        },
      },
      plugins: [marker],
    });
  }

  toPng(): string | null {
    return this.chart ? pngOf(this.chart.canvas) : null;
  }
}
