// A phase in the Console's colour and words ("✔ Succeeded").
import { phaseColour, phaseSymbol, phaseTextColour } from '../../../src/console/ui/model/phases.ts';

export function PhaseChip(props: { phase: string }) {
  const { phase } = props;
  return (
    <span
      data-phase={phase}
      className="conveyor-phase"
      style={{
        background: phaseColour(phase),
        color: phaseTextColour(phase),
        borderRadius: 4,
        padding: '1px 6px',
        whiteSpace: 'nowrap',
      }}
    >
      {phaseSymbol(phase)} {phase}
    </span>
  );
}
