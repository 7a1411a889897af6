/**
 * What the Sink Report's charts share: a canvas labelled for screen readers, rebuilt with the
 * theme's colours whenever the theme changes (chart.js keeps colours as given, not as CSS
 * variables), exported as PNG; and the options they all use (no animation, sized by their box, one
 * tooltip per x, theme-coloured axes with titles).
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
