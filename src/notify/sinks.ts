// Whether a Pipeline's own CloudEvents sink (spec.notify.cloudevents.url) may be sent to: only a URL
// under one of the operator's allowed prefixes (--cloudevents-allowed-sinks), so a Pipeline author
// cannot make the operator POST to arbitrary addresses (the cluster's internal services, a cloud
// metadata endpoint). "Under" is decided on the parsed URLs, not the raw strings: the same scheme
// and host and port, and a path inside the prefix's path at a segment boundary, so the prefix
// https://hooks.example.com/team-a admits .../team-a and .../team-a/x, but neither
// https://hooks.example.com.evil.test nor .../team-ab.
import { sinkUrlProblem } from '../config.ts';

/** Why nothing is sent to `url`, or undefined when it is allowed. */
export function sinkRefusal(url: string, allowedPrefixes: readonly string[]): string | undefined {
  const problem = sinkUrlProblem(url);
  if (problem) return `spec.notify.cloudevents.url: ${problem}`;
  if (allowedPrefixes.length === 0) {
    return 'spec.notify.cloudevents.url is not sent to: the operator allows no per-Pipeline sinks (--cloudevents-allowed-sinks is not set)';
  }
  if (allowedPrefixes.some((prefix) => isUnder(url, prefix))) return undefined;
  const shown = allowedPrefixes.slice(0, 3).join(', ') + (allowedPrefixes.length > 3 ? ', ...' : '');
  return `spec.notify.cloudevents.url is not sent to: it is under none of the operator's allowed sinks (--cloudevents-allowed-sinks: ${shown})`;
}

/** Whether `url` lies under `prefix` (both valid http(s) URLs). */
export function isUnder(url: string, prefix: string): boolean {
  const [u, p] = [new URL(url), new URL(prefix)];
  if (u.protocol !== p.protocol || u.host !== p.host) return false;
  const base = p.pathname;
  if (base.endsWith('/')) return u.pathname.startsWith(base);
  return u.pathname === base || u.pathname.startsWith(`${base}/`);
}
