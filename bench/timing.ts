// p50 / p95 of repeated runs of one async call, after warm-up runs that are not counted.
export async function timeIt(fn: () => Promise<unknown>, runs: number, warmups = 2): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < warmups; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  return { p50: q(0.5), p95: q(0.95) };
}
