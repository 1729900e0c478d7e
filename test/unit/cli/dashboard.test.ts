import { describe, expect, it } from 'vitest';
import { parseDashboardArgs } from '../../../src/cli/dashboard.ts';
import { isLoopback } from '../../../src/console/server/server.ts';

describe('conveyor dashboard arguments', () => {
  const cases: [string[], object][] = [
    [[], { port: 0, namespaces: [], open: false, address: '127.0.0.1' }],
    [['--port', '8080', '--open'], { port: 8080, open: true }],
    [['-n', 'a', '--namespace', 'b,c', '-n', ' d '], { namespaces: ['a', 'b', 'c', 'd'] }],
    [['--address', '0.0.0.0', '--kubeconfig', '/k'], { address: '0.0.0.0', kubeconfig: '/k' }],
  ];
  it.each(cases)('%j → %j', (argv, expected) => {
    expect(parseDashboardArgs(argv)).toMatchObject(expected);
  });

  const refused: [string[], RegExp][] = [
    [['--port', 'http'], /--port must be a port number/],
    [['--port', '70000'], /--port must be a port number/],
    [['--port', '-1'], /port/],
    [['extra'], /unexpected argument: extra/],
    [['--token', 'x'], /Unknown option/],
  ];
  it.each(refused)('%j is refused', (argv, message) => {
    expect(() => parseDashboardArgs(argv)).toThrow(message);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.5', false],
  ])('%s loopback: %s', (address, loopback) => {
    expect(isLoopback(address)).toBe(loopback);
  });
});
