// Counts the API requests this process makes, by HTTP verb, for metrics and the benchmark's
// "API requests per stage". Every client-node request — calls and watches alike — passes through
// KubeConfig.applySecurityAuthentication, so counting there sees all of them.
import * as k8s from '@kubernetes/client-node';

export const apiRequests = new Map<string, number>();

export function totalApiRequests(): number {
  let total = 0;
  for (const n of apiRequests.values()) total += n;
  return total;
}

type RequestContext = Parameters<k8s.KubeConfig['applySecurityAuthentication']>[0];

export class CountingKubeConfig extends k8s.KubeConfig {
  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    const method = String(context.getHttpMethod?.() ?? 'GET').toUpperCase();
    const isWatch = /[?&]watch=(true|1)/.test(context.getUrl?.() ?? '');
    const key = isWatch ? 'WATCH' : method;
    apiRequests.set(key, (apiRequests.get(key) ?? 0) + 1);
    return super.applySecurityAuthentication(context);
  }
}
