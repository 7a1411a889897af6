/**
 * What the panels' charts share: the options they all use (no animation, sized by their box, one
 * tooltip per x, theme-coloured axes with titles and legend), theme colours as chart.js needs them
 * (opaque strings: it keeps colours as given, not as CSS variables), a PNG of a canvas, and a chart
 * labelled for screen readers that is rebuilt with the theme's colours whenever the theme changes.
 */
import { Chart, type ChartType } from 'chart.js';
import { parseColor, readTheme, type ThemeColors } from './theme';

export function withAlpha(color: string, alpha: number): string {
  const [r, g, b] = parseColor(color);
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

export function chartOptions(theme: ThemeColors, xTitle: string, yTitle: string) {
  const axis = (text: string) => ({ title: { display: true, text, color: theme.muted }, ticks: { color: theme.muted }, grid: { color: withAlpha(theme.grid, 0.5) } });
  return {
    animation: false as const,
    responsive: true,
    maintainAspectRatio: false,
    interaction: { mode: 'index' as const, intersect: false },
    scales: { x: axis(xTitle), y: { ...axis(yTitle), beginAtZero: true } },
  };
}

export abstract class ThemedChart<Series, Type extends ChartType> {
  readonly canvas: HTMLCanvasElement;
  private chart: Chart<Type> | null = null;
  private series: Series | null = null;

  constructor(label: string) {
    this.canvas = document.createElement('canvas');
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', label);
  }

  /** Draws these data (null: nothing). */
  set(series: Series | null): void {
    this.series = series;
    this.render();
  }

  /** Rebuilds with the current theme's colours. */
  render(): void {
    this.chart?.destroy();
    this.chart = this.series ? this.build(this.series, readTheme()) : null;
  }

  toPng(): string | null {
    return this.chart ? this.chart.toBase64Image('image/png', 1) : null;
  }

  protected abstract build(series: Series, theme: ThemeColors): Chart<Type>;
}

/** A theme chart colour (--vscode-charts-<name>), opaque. */
export function chartColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(`--vscode-charts-${name}`).trim() || fallback;
  const [r, g, b] = parseColor(value);
  return `rgb(${r}, ${g}, ${b})`;
}

/** The legend every chart shows: in the theme's foreground, small markers. */
export function legendOptions(theme: ThemeColors) {
  return { labels: { color: theme.foreground, boxHeight: 6 } };
}

/** A canvas as a PNG data URL on the theme's background (the canvases themselves are transparent). */
export function pngOf(canvas: HTMLCanvasElement): string {
  const page = document.createElement('canvas');
  page.width = canvas.width;
  page.height = canvas.height;
  const context = page.getContext('2d')!;
  context.fillStyle = readTheme().background;
  context.fillRect(0, 0, page.width, page.height);
  context.drawImage(canvas, 0, 0);
  return page.toDataURL('image/png');
}
