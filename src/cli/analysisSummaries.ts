/** Terminal summaries of the multi-run analyses. */
import { keepsSinkReason, type AblationDocument, type AblationVariant, type BatchDocument, type BosComparison, type SubstitutionDocument } from '../protocol/analyses';
import { DEFAULT_EPSILON } from '../protocol/measures';

const num = (value: number | null | undefined, digits = 2) => (value == null ? '  -  ' : value.toFixed(digits));
const pct = (value: number | null | undefined) => (value == null ? 'n/a' : `${(value * 100).toFixed(1)} %`);

export function formatBosComparison(doc: BosComparison): string {
  const lines = ["With and without BOS (the paper's Table 1a / Figure 3)", '                 with BOS   without BOS'];
  lines.push(`  sinkRate[0:]   ${pct(doc.sinkRate.withBos.all).padStart(9)}   ${pct(doc.sinkRate.withoutBos.all).padStart(9)}`);
  lines.push(`  sinkRate[2:]   ${pct(doc.sinkRate.withBos.fromLayer2).padStart(9)}   ${pct(doc.sinkRate.withoutBos.fromLayer2).padStart(9)}`);
  lines.push('', '  P0 norm ratio by depth');
  doc.withBos.residual.depths.forEach((depth, i) => {
    lines.push(`  ${String(depth).padEnd(6)} ${num(doc.withBos.residual.p0NormRatio[i]).padStart(9)}   ${num(doc.withoutBos.residual.p0NormRatio[i]).padStart(9)}`);
  });
  const form = (report: BosComparison['withBos']) => (report.circuit.formationDepth === null ? 'never' : `depth ${report.circuit.formationDepth}`);
  lines.push('', `  high-norm P0 forms: with BOS ${form(doc.withBos)}, without BOS ${form(doc.withoutBos)}`);
  return lines.join('\n');
}

export function formatBatch(doc: BatchDocument): string {
  const lines = [`${doc.prompts.length} prompts · sinkRate (per prompt, averaged): all ${pct(doc.sinkRate.all)}, from layer 2 ${pct(doc.sinkRate.fromLayer2)}`, ''];
  lines.push(`Cross-input cosine of hidden states (positions ${doc.crossInputCosine.positions.join(', ')}), by depth; P0 first`);
  doc.crossInputCosine.depths.forEach((depth, d) => {
    lines.push(`  ${String(depth).padEnd(6)} ${doc.crossInputCosine.values[d].map((value) => num(value).padStart(6)).join('')}   P0 separation ${num(doc.p0Separation[d])}`);
  });
  lines.push('', `Mean P0 hidden state: first massive activation ${doc.firstMassiveDepth === null ? 'none' : `at depth ${doc.firstMassiveDepth}`}`);
  for (const entry of doc.meanP0Hidden) {
    lines.push(
      `  ${String(entry.depth).padEnd(6)} ${entry.top.map((top) => `d${top.dim}=${top.value.toFixed(2)}`).join('  ')}  (median |h| ${entry.median.toFixed(3)})${entry.massive ? '  MASSIVE' : ''}`,
    );
  }
  for (const layer of doc.mlp) lines.push(`MLP layer ${layer.layer} at P0: cross-input cosine ${num(layer.crossInputCosineP0)}`);
  return lines.join('\n');
}

export function formatAblation(doc: AblationDocument): string {
  const row = (variant: AblationVariant) => {
    const maxRatio = Math.max(...variant.p0NormRatio.map((ratio) => ratio ?? 0));
    const cosineAt2 = variant.crossInputCosineP0[Math.min(4, variant.crossInputCosineP0.length - 1)];
    return `  ${variant.label.padEnd(14)} ${num(maxRatio).padStart(8)} ${pct(variant.sinkRate.all).padStart(9)} ${pct(variant.sinkRate.fromLayer2).padStart(9)} ${num(cosineAt2).padStart(9)} ${variant.mlpCosineP0.map((value) => num(value).padStart(8)).join('')}`;
  };
  const lines = [`Head ablation over ${doc.prompts} prompt${doc.prompts === 1 ? '' : 's'}`, '  variant        max P0×  sink[0:]  sink[2:]  cos P0@2  MLP0/1 cos P0', row(doc.baseline)];
  for (const variant of doc.variants) lines.push(row(variant));
  if (doc.prompts < 2) lines.push('  (cross-input cosines need at least two prompts: use --prompts FILE)');
  return lines.join('\n');
}

export function formatSubstitution(doc: SubstitutionDocument): string {
  const lines = ['First-token substitution: does the sink follow position 0 or the token there?', '  variant                 token         sink strength  sinkRate[0:]  keeps the sink?'];
  const [original] = doc.variants;
  const epsilon = original?.sinkRate.epsilon ?? DEFAULT_EPSILON;
  for (const [index, variant] of doc.variants.entries()) {
    const rule = keepsSinkReason(variant.sinkStrength, original.sinkStrength, epsilon, doc.uniformBaseline);
    const keeps = index === 0 ? '(reference)' : `${rule.keeps ? 'yes' : 'no'}: ${rule.reason}`;
    lines.push(
      `  ${variant.label.padEnd(22)} ${JSON.stringify(variant.firstTokenText).slice(0, 12).padEnd(13)} ${num(variant.sinkStrength).padStart(13)}  ${pct(variant.sinkRate.all).padStart(11)}  ${keeps}`,
    );
  }
  lines.push('  (keeps the sink? compares sink strength, the mean attention to position 0 over layers >= 1, not the sink rate)');
  lines.push('', `Finding: ${doc.finding}. ${doc.explanation}`);
  return lines.join('\n');
}
