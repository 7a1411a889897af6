/**
 * One layer's probes as the then-branch of an If node whose condition is always true at run time
 * (and cannot be folded away before: it is read from the ids' shape).
 *
 * Why a subgraph: onnxruntime plans the memory of each graph on its own, and that planner walks its
 * whole free list for every new tensor, so its work grows faster than the number of values in one
 * graph. On the 24-layer bench fixture the probed session took 3.4 s of CPU to create with the
 * probes in the main graph and 2.3 s with them in per-layer bodies (the plain model: 1.7 s). The If
 * is also one node that the next block can be made to wait for: all of the layer's probes have run
 * once any of its outputs exists.
 */
import { DataType } from '../onnx/proto';
import type { NewValueInfo } from '../onnx/encode';
import { EditBuilder, graph, int } from './editBuilder';

interface BodyResult {
  /** The name the main graph knows it by. */
  name: string;
  /** Its value inside the body. */
  value: string;
  /** Declared as a graph output with this shape; null: used inside the graph only. */
  shape: (number | string)[] | null;
  /** An axis whose size is only known at run time (for the ordering dependency). */
  dynamicAxis: number;
}

export class ProbeBody {
  /** Builds the body's nodes and constants; the body reads the main graph's values by name. */
  readonly edits: EditBuilder;
  private readonly results: BodyResult[] = [];

  constructor(private readonly main: EditBuilder) {
    this.edits = main.body();
  }

  /** `value` leaves the graph as the output `name`, float32. */
  output(value: string, name: string, shape: (number | string)[], dynamicAxis: number): void {
    this.results.push({ name, value, shape, dynamicAxis });
  }

  /** `value` is used in the main graph as `name` (not a graph output). */
  expose(value: string, name: string, dynamicAxis: number): void {
    this.results.push({ name, value, shape: null, dynamicAxis });
  }

  /**
   * Adds the If node (`condition`: a bool that is true at run time) and declares the outputs.
   * Returns a [1] int64 zero that exists only once every probe of the body has run.
   */
  emit(condition: string): string {
    const main = this.main;
    const typed = (name: string): NewValueInfo => ({ name, elemType: DataType.Float, shape: null });
    const empty = main.float([], [0]);
    const otherwise = this.results.map(() => main.name());
    const branches = {
      then_branch: graph({
        name: `sinklens/${main.scope}/probes`,
        nodes: this.edits.nodes,
        initializers: this.edits.initializers,
        inputs: [],
        outputs: this.results.map((result) => typed(result.value)),
      }),
      else_branch: graph({
        name: `sinklens/${main.scope}/none`,
        nodes: otherwise.map((name) => ({ opType: 'Identity', inputs: [empty], outputs: [name], name: `${name}/node` })),
        initializers: [],
        inputs: [],
        outputs: otherwise.map(typed),
      }),
    };
    main.nodeOutputs(
      'If',
      [condition],
      this.results.length,
      branches,
      this.results.map((result) => result.name),
    );
    for (const result of this.results) if (result.shape) main.output(result.name, result.shape);
    const first = this.results[0];
    return main.zeroAfter(first.name, first.dynamicAxis);
  }
}

/** A bool that is true whenever the model runs (T >= 1), computed from the ids' shape at run time. */
export function alwaysTrue(edits: EditBuilder, ids: string): string {
  const tokens = edits.node('Gather', [edits.node('Shape', [ids]), edits.int64([1], [])], { axis: int(0) });
  return edits.node('Greater', [tokens, edits.int64([0], [])]);
}
