/**
 * The MLP intermediate activation norm per position (the input of the down-projection) of layers 0
 * and 1: the paper's Figure 5, where the P0 Sink Circuit's first MLPs produce a massive activation
 * at position 0 only. Bars per position and layer; position 0's bars are drawn opaque on a shaded
 * band and the others lighter, so that P0 stands out however many tokens there are.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip, type Plugin } from 'chart.js';
import { chartOptions, ThemedChart, withAlpha } from '../kit/chart';
import { displayToken } from '../../src/protocol/tokenText';
import { readTheme, type ThemeColors } from '../kit/theme';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

export interface MlpSeries {
  tokens: string[];
  layers: { layer: number; norms: ArrayLike<number> }[];
}

/** Shades the P0 column behind the bars (chart.js has no annotations without a plugin package). */
const p0Band: Plugin<'bar'> = {
  id: 'p0Band',
  beforeDatasetsDraw(chart) {
    const x = chart.scales.x;
    const area = chart.chartArea;
    const count = chart.data.labels?.length ?? 0;
    if (!x || !area || count === 0) return;
    // One category's width: the distance between neighbouring positions (the whole axis for one token).
    const step = count > 1 ? x.getPixelForValue(1) - x.getPixelForValue(0) : area.right - area.left;
    const left = Math.max(area.left, x.getPixelForValue(0) - step / 2);
    const context = chart.ctx;
    context.save();
    context.fillStyle = withAlpha(readTheme().focus, 0.28);
    context.fillRect(left, area.top, Math.max(step, 2), area.bottom - area.top);
    context.restore();
  },
};

export class MlpChart extends ThemedChart<MlpSeries, 'bar'> {
  constructor() {
    super('Bar chart of the MLP intermediate activation norm per position in layers 0 and 1, position 0 highlighted.');
  }

  protected build({ tokens, layers }: MlpSeries, theme: ThemeColors): Chart<'bar'> {
    const colors = [theme.accent, theme.second];
    const options = chartOptions(theme, 'position (P0 = first token, shaded)', 'L2 norm of the MLP activation');
    return new Chart(this.canvas, {
      type: 'bar',
      data: {
        labels: tokens.map((_, position) => (position === 0 ? 'P0' : String(position))),
        datasets: layers.map(({ layer, norms }) => {
          // By layer number, so that layer 1 keeps its colour when layer 0 has no MLP to draw.
          const color = colors[layer % colors.length];
          return {
            label: `MLP of layer ${layer}`,
            data: Array.from(norms),
            // Opaque at P0, lighter elsewhere: the highlight survives thousands of thin bars.
            backgroundColor: Array.from(norms, (_, position) => (position === 0 ? color : withAlpha(color, 0.4))),
            borderWidth: 0,
          };
        }),
      },
      options: {
        ...options,
        // No vertical lines: one per position would crowd out the bars of a long prompt.
        scales: { ...options.scales, x: { ...options.scales.x, grid: { display: false } } },
        plugins: {
          legend: { labels: { color: theme.foreground } },
          tooltip: { callbacks: { title: (items) => (items[0] ? `position ${items[0].dataIndex}: ${displayToken(tokens[items[0].dataIndex] ?? '')}` : '') } },
        },
      },
      plugins: [p0Band],
    });
  }
}
