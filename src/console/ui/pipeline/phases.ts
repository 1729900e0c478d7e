// Colours of stage and run phases, shared by the DAG, the grid and the timeline.
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
