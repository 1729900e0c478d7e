// A history told step by step: the operations and what followed from them (Jobs, writes,
// Events). What `npm run sim -- --trace` prints for a counterexample.
import type { Fact } from './facts.ts';
import type { Op } from './ops.ts';
import { runsOf } from './invariants.ts';

const MAX_LINE = 1200;

export function describeFacts(facts: readonly Fact[], ops: readonly Op[]): string[] {
  const lines: string[] = [];
  let step = -1;
  for (const fact of facts) {
    if (fact.step !== step) {
      step = fact.step;
      const op = ops[step - 1];
      lines.push(step === 0 ? '#0 (pipelines created)' : `#${step} ${JSON.stringify(op)}`);
    }
    const text = describeFact(fact);
    lines.push(`    ${text.length > MAX_LINE ? `${text.slice(0, MAX_LINE)}… (${text.length} characters)` : text}`);
  }
  return lines;
}

function describeFact(fact: Fact): string {
  switch (fact.type) {
    case 'spec':
      return `${fact.pipeline} generation ${fact.generation}`;
    case 'jobRuns':
      return `Job ${fact.name} ${fact.how}: run ${fact.run} ${fact.role} ${fact.stage} attempt ${fact.attempt}`;
    case 'jobFinished':
      return `Job ${fact.name} ${fact.phase}`;
    case 'jobDeleted':
      return `Job ${fact.name} deleted by ${fact.by}${fact.by === 'hand' ? ` (status said: ${fact.statusSaid})` : ''}`;
    case 'tick':
      return `tick ${new Date(fact.time).toISOString()}: Job ${fact.job}`;
    case 'request':
      return `${fact.kind} request on ${fact.pipeline}: ${fact.value}`;
    case 'reconcile': {
      const r = fact.record;
      const runs = runsOf(r.plan.status)
        .map(
          (x) =>
            `${x.id}:${x.trigger}:${x.phase}${'stages' in x && x.stages ? `[${x.stages.map((s) => `${s.name}=${s.phase}${s.reason ? `/${s.reason}` : ''}`).join(' ')}]` : ''}`,
        )
        .join(', ');
      const actions = r.plan.actions
        .map((a) => `${a.kind} ${'name' in a ? a.name : a.kind === 'createJob' ? a.job.metadata?.name : ''}`)
        .join('; ');
      const events = r.plan.events.map((e) => `${e.reason}: ${e.message}`).join(' | ');
      return `reconcile ${r.pipeline} @${r.now.toISOString()} (${r.mode}${r.wrote ? ', written' : ', NOT written'}${r.announced ? '' : ', Events lost'}): runs ${runs || '-'}; actions ${actions || '-'}; events ${events || '-'}`;
    }
  }
}
