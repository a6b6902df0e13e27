// The one result shape every benchmark returns. On 2-core CI machines absolute times are noise,
// so each result carries a baseline measured in the same run and the ratio to it.
export type BenchResult = {
  name: string;
  value: number;
  unit: string;
  baseline: { name: string; value: number; unit: string };
  ratio: number;
  target?: string;
  pass?: boolean;
  notes?: string;
};

/** What a `bench/*.bench.ts` module exports. */
export type BenchModule = {
  run(): Promise<BenchResult | BenchResult[]>;
};
