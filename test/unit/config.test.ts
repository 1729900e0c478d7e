import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('operator configuration', () => {
  it('has sensible defaults', () => {
    const c = loadConfig([], {});
    expect(c).toMatchObject({
      namespaces: [],
      workers: 64,
      logLevel: 'info',
      healthPort: 8081,
      healthHost: '127.0.0.1',
      leaderElect: false,
      leaderElectionId: 'conveyor-leader',
    });
  });

  it('reads flags before environment', () => {
    const c = loadConfig(['--namespaces', 'a, b', '--workers', '8'], {
      CONVEYOR_WORKERS: '2',
      CONVEYOR_NAMESPACES: 'x',
    });
    expect(c).toMatchObject({ namespaces: ['a', 'b'], workers: 8 });
  });

  it('reads the environment when no flag is given', () => {
    const c = loadConfig([], {
      CONVEYOR_NAMESPACES: 'x,y',
      CONVEYOR_LOG_LEVEL: 'debug',
      CONVEYOR_LEADER_ELECT: 'true',
      POD_NAMESPACE: 'ops',
    });
    expect(c).toMatchObject({
      namespaces: ['x', 'y'],
      logLevel: 'debug',
      leaderElect: true,
      leaderElectionNamespace: 'ops',
    });
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

describe('--api-timeout-seconds', () => {
  it('defaults to 30 s and reads the flag before the environment', () => {
    expect(loadConfig([], {})).toMatchObject({ apiTimeoutSeconds: 30 });
    expect(loadConfig(['--api-timeout-seconds', '5'], { CONVEYOR_API_TIMEOUT_SECONDS: '9' })).toMatchObject({
      apiTimeoutSeconds: 5,
    });
    expect(loadConfig([], { CONVEYOR_API_TIMEOUT_SECONDS: '9' })).toMatchObject({ apiTimeoutSeconds: 9 });
  });

  it('accepts up to the longest Node timer (2^31-1 ms)', () => {
    expect(loadConfig(['--api-timeout-seconds', '2147483'], {})).toMatchObject({ apiTimeoutSeconds: 2_147_483 });
  });

  it.each(['0', '-1', 'soon', '', '1.5', '2147484', 'Infinity'])('refuses "%s", naming the flag', (raw) => {
    // The = form: parseArgs would take a separate "-1" for a flag.
    expect(() => loadConfig([`--api-timeout-seconds=${raw}`], {})).toThrow(ConfigError);
    expect(() => loadConfig([`--api-timeout-seconds=${raw}`], {})).toThrow(
      `--api-timeout-seconds: expected a whole number of seconds from 1 to 2147483, got "${raw}"`,
    );
  });
});

describe('--events', () => {
  it('defaults to all and reads the flag before the environment', () => {
    expect(loadConfig([], {})).toMatchObject({ events: 'all' });
    expect(loadConfig(['--events', 'warnings'], { CONVEYOR_EVENTS: 'all' })).toMatchObject({ events: 'warnings' });
    expect(loadConfig([], { CONVEYOR_EVENTS: 'warnings' })).toMatchObject({ events: 'warnings' });
    expect(loadConfig([], { CONVEYOR_EVENTS: '' })).toMatchObject({ events: 'all' });
  });

  it.each(['none', 'Warnings', 'failures', ''])('refuses "%s", naming the flag and the choices', (raw) => {
    expect(() => loadConfig([`--events=${raw}`], {})).toThrow(ConfigError);
    expect(() => loadConfig([`--events=${raw}`], {})).toThrow(`--events: expected all or warnings, got "${raw}"`);
  });
});
