/** One wrong field: where (`sources[1].link`) and why. */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}
