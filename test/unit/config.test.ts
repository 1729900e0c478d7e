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

describe('webhook flags', () => {
  it('keeps the receiver off unless --webhook-address is set, with default rates', () => {
    const c = loadConfig([], {});
    expect(c).not.toHaveProperty('webhookAddress');
    expect(c).toMatchObject({
      webhookRateLimit: { perSecond: 100, burst: 200 },
      webhookPipelineRateLimit: { perSecond: 5, burst: 20 },
    });
  });

  it.each([
    [['--webhook-address', '0.0.0.0:9292'], {}, { host: '0.0.0.0', port: 9292 }],
    [['--webhook-address', '[::]:9292'], {}, { host: '::', port: 9292 }],
    [[], { CONVEYOR_WEBHOOK_ADDRESS: '127.0.0.1:0' }, { host: '127.0.0.1', port: 0 }],
  ])('reads the address %j %j', (argv, env, expected) => {
    expect(loadConfig(argv, env)).toMatchObject({ webhookAddress: expected });
  });

  it.each([
    [['--webhook-address', '9292'], '--webhook-address: expected HOST:PORT'],
    [['--webhook-address', 'h:70000'], '--webhook-address: expected HOST:PORT'],
    [['--webhook-address', '0.0.0.0:8081'], 'port 8081 is the health and metrics port'],
    [['--webhook-address', '0.0.0.0:9000', '--health-port', '9000'], 'port 9000 is the health and metrics port'],
    [['--webhook-rate-limit', 'fast'], '--webhook-rate-limit: expected PER_SECOND or PER_SECOND:BURST'],
    [['--webhook-pipeline-rate-limit', '0'], '--webhook-pipeline-rate-limit: expected'],
  ])('refuses %j', (argv, message) => {
    expect(() => loadConfig(argv, {})).toThrow(ConfigError);
    expect(() => loadConfig(argv, {})).toThrow(message);
  });

  it('reads rates with and without a burst', () => {
    expect(loadConfig(['--webhook-rate-limit', '50', '--webhook-pipeline-rate-limit', '2:7'], {})).toMatchObject({
      webhookRateLimit: { perSecond: 50, burst: 100 },
      webhookPipelineRateLimit: { perSecond: 2, burst: 7 },
    });
  });
});
