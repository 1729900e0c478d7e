// Requests this process sent to the API server, by verb (counted in kubeconfig.ts).
export const apiRequests = new Map<string, number>();

export function totalApiRequests(): number {
  let total = 0;
  for (const n of apiRequests.values()) total += n;
  return total;
}
