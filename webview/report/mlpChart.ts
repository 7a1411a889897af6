/**
 * The MLP intermediate activation norm per position (the input of the down-projection) of layers 0
 * and 1: the paper's Figure 5, where the P0 Sink Circuit's first MLPs produce a massive activation
 * at position 0 only. Bars per position and layer; position 0's bars are drawn opaque and the others
 * lighter, and a red ▼ "P0" marks it, so that P0 stands out however many tokens there are.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip, type Plugin } from 'chart.js';
import { chartColor, chartOptions, ThemedChart, withAlpha } from '../kit/chart';
import { displayToken } from '../../src/protocol/tokenText';
import { readTheme, type ThemeColors } from '../kit/theme';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

export interface MlpSeries {
  tokens: string[];
  layers: { layer: number; norms: ArrayLike<number> }[];
}

/**
 * Marks position 0 with a downward triangle and "P0" above its tallest bar, in the theme's red: an
 * annotation that cannot be read as a bar or a layer's value (a full-height band could), and is
 * listed in the legend. (chart.js has no annotations without a plugin package.)
 */
const p0Marker: Plugin<'bar'> = {
  id: 'p0Marker',
  afterDatasetsDraw(chart) {
    const x = chart.scales.x;
    const y = chart.scales.y;
    if (!x || !y || (chart.data.labels?.length ?? 0) === 0) return;
    const tallest = Math.max(0, ...chart.data.datasets.map((dataset) => Number(dataset.data[0]) || 0));
    const centre = x.getPixelForValue(0);
    const top = Math.max(chart.chartArea.top + 16, y.getPixelForValue(tallest) - 4);
    const context = chart.ctx;
    context.save();
    context.fillStyle = markerColor();
    context.beginPath();
    context.moveTo(centre - 6, top - 9);
    context.lineTo(centre + 6, top - 9);
    context.lineTo(centre, top);
    context.closePath();
    context.fill();
    context.font = 'bold 11px sans-serif';
    context.textAlign = 'center';
    context.textBaseline = 'bottom';
    context.fillText('P0', centre, top - 10);
    context.restore();
  },
};

/** The marker's colour: the theme's red (the high-contrast themes' error colour), apart from both layers' colours. */
const markerColor = () => chartColor('red', readTheme().outline);

export class MlpChart extends ThemedChart<MlpSeries, 'bar'> {
  constructor() {
    super('Bar chart of the MLP intermediate activation norm per position in layers 0 and 1, position 0 highlighted.');
  }

  protected build({ tokens, layers }: MlpSeries, theme: ThemeColors): Chart<'bar'> {
    const colors = [theme.accent, theme.second];
    const options = chartOptions(theme, 'position (P0 = first token, marked ▼)', 'L2 norm of the MLP activation');
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
        // Headroom above the tallest bar for the P0 marker.
        scales: { ...options.scales, x: { ...options.scales.x, grid: { display: false } }, y: { ...options.scales.y, grace: '15%' } },
        plugins: {
          legend: {
            labels: {
              color: theme.foreground,
              usePointStyle: true,
              // The layers' solid swatches, then the P0 marker as drawn.
              generateLabels: (chart) => [
                ...Chart.defaults.plugins.legend.labels.generateLabels(chart).map((item) => ({ ...item, pointStyle: 'rect' as const })),
                {
                  text: 'P0: position 0 (its bars drawn solid)',
                  fillStyle: markerColor(),
                  strokeStyle: markerColor(),
                  fontColor: theme.foreground,
                  pointStyle: 'triangle' as const,
                  rotation: 180,
                  lineWidth: 0,
                  hidden: false,
                  datasetIndex: undefined,
                },
              ],
            },
            // The marker's entry is not a dataset: clicking it hides nothing.
            onClick: (event, item, legend) => item.datasetIndex !== undefined && Chart.defaults.plugins.legend.onClick.call(legend, event, item, legend),
          },
          tooltip: { callbacks: { title: (items) => (items[0] ? `position ${items[0].dataIndex}: ${displayToken(tokens[items[0].dataIndex] ?? '')}` : '') } },
        },
      },
      plugins: [p0Marker],
    });
  }
}
