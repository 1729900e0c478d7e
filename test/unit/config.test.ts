import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('operator configuration', () => {
  it('has sensible defaults', () => {
    const c = loadConfig([], {});
    expect(c).toMatchObject({ namespaces: [], workers: 16, logLevel: 'info', healthPort: 8081, healthHost: '127.0.0.1', leaderElect: false, leaderElectionId: 'conveyor-leader' });
  });

  it('reads flags before environment', () => {
    const c = loadConfig(['--namespaces', 'a, b', '--workers', '8'], { CONVEYOR_WORKERS: '2', CONVEYOR_NAMESPACES: 'x' });
    expect(c).toMatchObject({ namespaces: ['a', 'b'], workers: 8 });
  });

  it('reads the environment when no flag is given', () => {
    const c = loadConfig([], { CONVEYOR_NAMESPACES: 'x,y', CONVEYOR_LOG_LEVEL: 'debug', CONVEYOR_LEADER_ELECT: 'true', POD_NAMESPACE: 'ops' });
    expect(c).toMatchObject({ namespaces: ['x', 'y'], logLevel: 'debug', leaderElect: true, leaderElectionNamespace: 'ops' });
  });

  it('names the flag and the value on bad input', () => {
    expect(() => loadConfig(['--workers', 'zero'], {})).toThrow(ConfigError);
    expect(() => loadConfig(['--workers', 'zero'], {})).toThrow('--workers: expected an integer >= 1, got "zero"');
    expect(() => loadConfig(['--log-level', 'loud'], {})).toThrow('--log-level');
    expect(() => loadConfig(['--no-such-flag'], {})).toThrow();
  });

  it('answers --help', () => {
    expect(loadConfig(['--help'], {})).toBe('help');
  });
});
