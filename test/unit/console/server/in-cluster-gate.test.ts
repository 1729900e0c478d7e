// The in-cluster Console's Host and Origin checks (the credentials are checked per request).
import { describe, expect, it } from 'vitest';
import { InClusterGate } from '../../../../src/console/server/in-cluster-routes.ts';

describe('InClusterGate', () => {
  const gate = new InClusterGate(['console.example.com', 'localhost:8080']);
  const cases: [string, string, string | undefined, string | undefined, number | undefined][] = [
    ['GET to the configured host', 'GET', 'console.example.com', undefined, undefined],
    ['GET with a port on a host configured without one', 'GET', 'console.example.com:443', undefined, undefined],
    ['GET to a host configured with its port', 'GET', 'localhost:8080', undefined, undefined],
    ['GET to another port of it', 'GET', 'localhost:9090', undefined, 421],
    ['GET to a rebinding name', 'GET', 'evil.example', undefined, 421],
    ['GET without Host', 'GET', undefined, undefined, 421],
    ['POST from the Console over https', 'POST', 'console.example.com', 'https://console.example.com', undefined],
    ['POST from the Console over http (a port-forward)', 'POST', 'localhost:8080', 'http://localhost:8080', undefined],
    ['POST without Origin', 'POST', 'console.example.com', undefined, 403],
    ['POST from another site', 'POST', 'console.example.com', 'https://evil.example', 403],
    ['POST with Origin null', 'POST', 'console.example.com', 'null', 403],
    ['POST with an Origin carrying a path', 'POST', 'console.example.com', 'https://console.example.com/x', 403],
    ['DELETE from another site', 'DELETE', 'console.example.com', 'https://evil.example', 403],
  ];
  for (const [title, method, host, origin, status] of cases) {
    it(title, () => {
      expect(gate.refuse(method, host, origin)?.status).toBe(status);
    });
  }

  it('needs at least one allowed host', () => {
    expect(() => new InClusterGate([])).toThrow(/--allowed-host/);
  });
});
