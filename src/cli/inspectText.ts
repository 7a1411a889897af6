/** `sink-lens inspect`'s terminal text: one `key value` line per field, and the layer layout as its own lines. */
import type { ModelInspection } from '../engine/model/inspectModel';
import { describeLayout } from '../protocol/layerLayout';

export function formatInspection(summary: ModelInspection): string {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(summary)) {
    if (key === 'layout') continue;
    lines.push(`${key.padEnd(20)} ${Array.isArray(value) ? `[${value.join(', ')}]` : value}`);
  }
  lines.push('layout');
  for (const line of describeLayout(summary.layout)) lines.push(`  ${line}`);
  return `${lines.join('\n')}\n`;
}
