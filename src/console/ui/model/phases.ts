// Colours and symbols of stage, run and pipeline phases, shared by the Console's DAG, grid,
// timeline and overview and by the Headlamp plugin.
export const PHASE_COLOUR: Record<string, string> = {
  Pending: '#cbd5e1',
  Running: '#3b82f6',
  Succeeded: '#22c55e',
  Failed: '#ef4444',
  Skipped: '#f5d08a',
  Cancelled: '#a8a29e',
  None: '#f1f5f9',
};

/** A stage served from the cache: succeeded, but not here. Paler than Succeeded, and striped (style.css). */
export const CACHED_COLOUR = '#ccfbf1';
export const CACHED_STROKE = '#0f766e';

export function phaseColour(phase: string | undefined): string {
  return PHASE_COLOUR[phase ?? 'None'] ?? PHASE_COLOUR.None!;
}

/** Text that reads on the phase's colour. */
export function phaseTextColour(phase: string | undefined): string {
  return phase === 'Running' || phase === 'Failed' ? '#ffffff' : '#0f172a';
}

/** The CLI's symbols (src/cli/graph.ts), so terminal and browser read alike. */
export const PHASE_SYMBOL: Record<string, string> = {
  Pending: '·',
  Running: '▶',
  Succeeded: '✔',
  Failed: '✖',
  Skipped: '↷',
  Cancelled: '■',
  Scheduled: '◷',
  Suspended: '‖',
  Invalid: '!',
};

/** The symbol before a phase's word (· when the phase is unknown). */
export function phaseSymbol(phase: string): string {
  return PHASE_SYMBOL[phase] ?? '·';
}
