// `$(params.x)` and `$(run.x)` in stage commands, args, env values and cache keys. The syntax is
// the kubelet's own (it expands `$(VAR)` in command, args and env values, and reads `$$` as a
// literal `$`), so one scanner serves both uses:
// - 'kubelet' mode, for text that goes into a Pod: substituted values have every `$` doubled and
//   `$$(` is left alone, so the kubelet yields the value and the escape exactly as meant;
// - 'plain' mode, for text Conveyor uses itself (cache keys): `$$(` yields a literal `$(`.
// Single pass: a substituted value is never scanned again. Unknown names stay as written (the
// kubelet may expand a container env var there).

import { tokenize } from '../../api/template.ts';
import type { RunValues } from './values.ts';

export type SubstituteMode = 'kubelet' | 'plain';

/** The variables of one run: `params.<name>` for each parameter, and the `run.*` values. */
export function templateVariables(values: RunValues, runId: string, timeZone?: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [name, value] of Object.entries(values.params ?? {})) vars[`params.${name}`] = value;
  vars['run.id'] = runId;
  if (values.logicalTime !== undefined) {
    vars['run.logicalTime'] = values.logicalTime;
    const date = logicalDate(values.logicalTime, timeZone);
    if (date !== undefined) vars['run.logicalDate'] = date;
  }
  if (values.intervalStart !== undefined) vars['run.intervalStart'] = values.intervalStart;
  if (values.intervalEnd !== undefined) vars['run.intervalEnd'] = values.intervalEnd;
  return vars;
}

/** YYYY-MM-DD of `time` on the wall calendar of `timeZone` (UTC when unset): a daily partition key. */
export function logicalDate(time: string, timeZone?: string): string | undefined {
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) return undefined;
  return dateFormat(timeZone ?? 'UTC').format(date);
}

/**
 * One formatter per time zone: building an Intl.DateTimeFormat costs far more than using one (it
 * was a third of a plan's time). Bounded: a spec can name any zone, so the map is emptied when full.
 */
const DATE_FORMATS = new Map<string, Intl.DateTimeFormat>();
const MAX_DATE_FORMATS = 64;

function dateFormat(timeZone: string): Intl.DateTimeFormat {
  let format = DATE_FORMATS.get(timeZone);
  if (format) return format;
  // en-CA formats dates as YYYY-MM-DD. An unknown zone throws here, as it did before the cache.
  format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  if (DATE_FORMATS.size >= MAX_DATE_FORMATS) DATE_FORMATS.clear();
  DATE_FORMATS.set(timeZone, format);
  return format;
}

/**
 * Replaces each `$(name)` whose name is in `vars`, once; see the file comment for the modes.
 * `references` (kubelet mode) maps names to kubelet references such as `$(CONVEYOR_LOGICAL_TIME)`,
 * inserted as they are: a CronJob's Job template cannot know a tick's values, its pod can.
 */
export function substitute(
  template: string,
  vars: Record<string, string>,
  mode: SubstituteMode,
  references: Record<string, string> = {},
): string {
  let out = '';
  for (const token of tokenize(template)) {
    if (token.kind === 'text') out += token.text;
    else if (token.kind === 'escape') out += mode === 'plain' ? '$(' : '$$(';
    else if (Object.hasOwn(references, token.name)) out += references[token.name] ?? '';
    else if (Object.hasOwn(vars, token.name)) {
      const value = vars[token.name] ?? '';
      out += mode === 'kubelet' ? kubeletLiteral(value) : value;
    } else out += token.raw;
  }
  return out;
}

/**
 * Every `$` twice, so the kubelet (command, args, env values) yields the value as it is.
 * split/join: replaceAll would read `$$` in its replacement as one `$`.
 */
export function kubeletLiteral(value: string): string {
  return value.split('$').join('$$');
}
