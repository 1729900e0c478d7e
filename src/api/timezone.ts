// IANA time zones as a CronJob accepts them (Kubernetes' validateTimeZone, then Go's
// time.LoadLocation). Intl stands in for Go's tz database; it is case-insensitive where Go is not,
// so a name must also be spelled as in the database.

/** One path element of a zone name, per https://data.iana.org/time-zones/theory.html#naming */
const ZONE_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

let canonical: Map<string, string> | undefined;

/** Canonical zone names (Europe/Berlin, ...) by their lower-case spelling. */
function canonicalZones(): Map<string, string> {
  canonical ??= new Map(Intl.supportedValuesOf('timeZone').map((zone) => [zone.toLowerCase(), zone]));
  return canonical;
}

/** Why a CronJob would refuse `timeZone`, or undefined when it is a zone it accepts. */
export function timeZoneProblem(timeZone: string): string | undefined {
  if (timeZone === '') return 'timeZone must be nil or non-empty string';
  for (const part of timeZone.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !ZONE_PART.test(part)) {
      return `unknown time zone ${timeZone}`;
    }
  }
  if (timeZone.toLowerCase() === 'local') {
    return 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones';
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    return `unknown time zone ${timeZone}`;
  }
  // Intl accepts "europe/berlin"; Go's tz database (a file per zone) does not.
  const spelled = canonicalZones().get(timeZone.toLowerCase());
  if (spelled !== undefined && spelled !== timeZone) return `unknown time zone ${timeZone} (did you mean ${spelled}?)`;
  // Aliases (US/Eastern, Etc/UTC) are not in the canonical list; their parts are capitalised.
  if (spelled === undefined && timeZone.split('/').some((part) => /^[a-z]/.test(part))) {
    return `unknown time zone ${timeZone}`;
  }
  return undefined;
}
