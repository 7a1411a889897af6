/** Who produces and who consumes each tensor of a graph, and which tensors are constants. */
import type { OnnxGraph, OnnxNode } from '../onnx/proto';

export class GraphIndex {
  readonly producer = new Map<string, OnnxNode>();
  readonly consumers = new Map<string, OnnxNode[]>();
  private readonly staticTensors = new Set<string>();

  constructor(readonly graph: OnnxGraph) {
    for (const node of graph.nodes) {
      for (const output of node.outputs) if (output) this.producer.set(output, node);
      for (const input of node.inputs) {
        if (!input) continue;
        const list = this.consumers.get(input);
        if (list) list.push(node);
        else this.consumers.set(input, [node]);
      }
    }
    this.markStaticTensors();
  }

  /** A weight or a value computed only from weights and constants (never from a graph input). */
  isStatic(tensor: string): boolean {
    return this.staticTensors.has(tensor);
  }

  consumersOf(tensor: string): OnnxNode[] {
    return this.consumers.get(tensor) ?? [];
  }

  /** Whether `tensor` is computed from any of `ancestors`. Walks producers backwards, skipping constants. */
  dependsOn(tensor: string, ancestors: ReadonlySet<string>): boolean {
    const seen = new Set<string>();
    const stack = [tensor];
    while (stack.length > 0) {
      const current = stack.pop()!;
      if (ancestors.has(current)) return true;
      if (seen.has(current) || this.isStatic(current)) continue;
      seen.add(current);
      const node = this.producer.get(current);
      if (node) for (const input of node.inputs) if (input) stack.push(input);
    }
    return false;
  }

  /**
   * The nodes on some path from any of `from` to `to`: the body of a residual branch. Computed as
   * the ancestors of `to` (stopping at `from`) that are also descendants of `from`.
   */
  nodesBetween(from: ReadonlySet<string>, to: string): OnnxNode[] {
    const ancestors = new Set<OnnxNode>();
    const seen = new Set<string>();
    const stack = [to];
    while (stack.length > 0) {
      const current = stack.pop()!;
      if (from.has(current) || seen.has(current) || this.isStatic(current)) continue;
      seen.add(current);
      const node = this.producer.get(current);
      if (!node || ancestors.has(node)) continue;
      ancestors.add(node);
      for (const input of node.inputs) if (input) stack.push(input);
    }
    const between: OnnxNode[] = [];
    const visited = new Set<OnnxNode>();
    const queue = [...from].flatMap((tensor) => this.consumersOf(tensor)).filter((node) => ancestors.has(node));
    while (queue.length > 0) {
      const node = queue.shift()!;
      if (visited.has(node)) continue;
      visited.add(node);
      between.push(node);
      for (const output of node.outputs) {
        for (const next of this.consumersOf(output)) if (ancestors.has(next) && !visited.has(next)) queue.push(next);
      }
    }
    return between;
  }

  private markStaticTensors(): void {
    for (const name of this.graph.initializers.keys()) this.staticTensors.add(name);
    // Initializers listed as graph inputs (IR < 4) can be overridden, but models use them as weights.
    const pending = [...this.graph.nodes];
    let progress = true;
    while (progress) {
      progress = false;
      for (let i = pending.length - 1; i >= 0; i--) {
        const node = pending[i];
        const inputs = node.inputs.filter((input) => input !== '');
        const isConstant = node.opType === 'Constant' || (inputs.length > 0 && inputs.every((input) => this.staticTensors.has(input)));
        if (!isConstant) continue;
        if (node.opType === 'RandomNormal' || node.opType === 'RandomUniform') continue;
        for (const output of node.outputs) if (output) this.staticTensors.add(output);
        pending.splice(i, 1);
        progress = true;
      }
    }
  }
}
