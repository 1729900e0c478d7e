// `--scenario burst --pipelines A,B`: bursts of several sizes run back to back in one invocation;
// this report puts their wall times side by side, each as a multiple of the first, next to the
// multiple a linear cost would give (issue 12: the 1,000 × 5 burst within 5× the 200 × 5 one).
// The full report of each burst follows.

export function ratioReport(command: string, sizes: number[], walls: number[], reports: string[]): string {
  const rows = sizes.map((n, i) => {
    const multiple = walls[i]! / walls[0]!;
    return `| ${n} pipelines | ${walls[i]!.toFixed(1)} s | ${multiple.toFixed(2)}× | ${(n / sizes[0]!).toFixed(2)}× |`;
  });
  return `# Benchmark: burst sizes back to back

Written by \`${command}\` (bench/run.ts) on ${new Date().toISOString()}: one burst per size, each
with its own plain-client run, namespaces and operator process(es), the next starting after the
previous one's namespaces were deleted. Each burst's conditions (load, other CPU) are in its
report below.

| burst | wall time, first create → all Succeeded | multiple of the first | linear would be |
|---|---|---|---|
${rows.join('\n')}
${reports.map((r) => `\n---\n\n${r.replace(/^# /, '## ')}`).join('')}`;
}
