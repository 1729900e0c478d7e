// Parsing and defaults of bench/run.ts's options, apart so they can be tested without a cluster.

export function positive(name: string, text: string | undefined): number {
  const n = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isSafeInteger(n) || n <= 0)
    throw new Error(`--${name}: expected a positive whole number, got ${JSON.stringify(text)}`);
  return n;
}

/** --shards K: 0 (one operator, no shard key) up to 16 processes. */
export function shardCount(text: string | undefined): number {
  const n = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isSafeInteger(n) || n < 0 || n > 16)
    throw new Error(
      `--shards: expected a whole number from 0 (one operator, no shard key) to 16, got ${JSON.stringify(text)}`,
    );
  return n;
}

/** --mix KxS: K extra pipelines of S independent stages, e.g. 10x200 (at most 200 stages, the CRD's limit). */
export function mixOf(text: string | undefined): { pipelines: number; stages: number } | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)x(\d+)$/.exec(text);
  if (!m) throw new Error(`--mix: expected PIPELINESxSTAGES such as 10x200, got ${JSON.stringify(text)}`);
  const mix = { pipelines: positive('mix (pipelines)', m[1]), stages: positive('mix (stages)', m[2]) };
  if (mix.stages > 200) throw new Error(`--mix: a Pipeline has at most 200 stages, got ${mix.stages}`);
  return mix;
}

/** --pipelines N or A,B,…: several sizes only for burst (run back to back). */
export function sizesOf(text: string, scenario: string): number[] {
  const sizes = text.split(',').map((n) => positive('pipelines', n.trim()));
  if (sizes.length > 1 && scenario !== 'burst')
    throw new Error(`--pipelines: several sizes (${text}) run back to back only with --scenario burst`);
  return sizes;
}

/**
 * 5 stages, except for steady: there a chain must outlast the start, the warm-up and the window
 * even if every pod ran the minimum time, or pipelines finish and the window measures fewer than
 * --pipelines active (60 s is allowed for starting them all).
 */
export function defaultStages(
  scenario: string,
  t: { warmupSeconds: number; windowSeconds: number; minSeconds: number },
): number {
  if (scenario !== 'steady') return 5;
  return Math.ceil((t.warmupSeconds + t.windowSeconds + 60) / t.minSeconds);
}
