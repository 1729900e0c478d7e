import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, USAGE } from '../../src/config.ts';

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

describe('lifecycle notification flags', () => {
  it('sends nothing by default, with a 10,000-delivery queue and the conveyor namespace', () => {
    expect(loadConfig([], {})).toMatchObject({
      notify: { cloudEventsAllowedSinks: [], openLineageNamespace: 'conveyor', queueSize: 10_000 },
    });
    const notify = (loadConfig([], {}) as { notify: object }).notify;
    expect(notify).not.toHaveProperty('cloudEventsSink');
    expect(notify).not.toHaveProperty('openLineageUrl');
  });

  it('reads every flag before its environment variable', () => {
    const flags = [
      '--cloudevents-sink',
      'http://broker.knative-eventing.svc/default/default',
      '--cloudevents-allowed-sinks',
      'https://hooks.example.com/, http://sink.team-a.svc/',
      '--openlineage-url',
      'http://marquez:5000',
      '--openlineage-token-file',
      '/var/run/secrets/openlineage/token',
      '--openlineage-namespace',
      'prod',
      '--notify-queue-size',
      '500',
    ];
    const env = {
      CONVEYOR_CLOUDEVENTS_SINK: 'http://other/',
      CONVEYOR_CLOUDEVENTS_ALLOWED_SINKS: 'http://other/',
      CONVEYOR_OPENLINEAGE_URL: 'http://other/',
      CONVEYOR_OPENLINEAGE_TOKEN_FILE: '/other',
      CONVEYOR_OPENLINEAGE_NAMESPACE: 'other',
      CONVEYOR_NOTIFY_QUEUE_SIZE: '7',
    };
    const expected = {
      cloudEventsSink: 'http://broker.knative-eventing.svc/default/default',
      cloudEventsAllowedSinks: ['https://hooks.example.com/', 'http://sink.team-a.svc/'],
      openLineageUrl: 'http://marquez:5000',
      openLineageTokenFile: '/var/run/secrets/openlineage/token',
      openLineageNamespace: 'prod',
      queueSize: 500,
    };
    expect(loadConfig(flags, env)).toMatchObject({ notify: expected });
    expect(loadConfig([], env)).toMatchObject({
      notify: {
        cloudEventsSink: 'http://other/',
        cloudEventsAllowedSinks: ['http://other/'],
        openLineageUrl: 'http://other/',
        openLineageTokenFile: '/other',
        openLineageNamespace: 'other',
        queueSize: 7,
      },
    });
  });

  it.each([
    [['--cloudevents-sink', 'ftp://x/'], '--cloudevents-sink: expected an http or https URL, got "ftp://x/"'],
    [['--cloudevents-sink', 'sink:8080'], '--cloudevents-sink: expected an http or https URL'],
    [['--cloudevents-sink', '/relative'], '--cloudevents-sink: expected an absolute http or https URL'],
    [['--openlineage-url', 'http://u:p@marquez:5000'], '--openlineage-url: expected a URL without user or password'],
    [['--openlineage-url', `http://x/${'a'.repeat(2048)}`], '--openlineage-url: expected a URL of at most 2048'],
    [['--cloudevents-allowed-sinks', 'https://ok/,nope'], '--cloudevents-allowed-sinks: expected an absolute http'],
    [['--openlineage-token-file', '/t'], '--openlineage-token-file: needs --openlineage-url'],
    [['--openlineage-namespace', 'a b'], '--openlineage-namespace: expected at most 253 characters without spaces'],
    [['--notify-queue-size', '0'], '--notify-queue-size: expected an integer >= 1, got "0"'],
    [['--notify-queue-size', '2000000'], '--notify-queue-size: expected at most 1000000'],
  ])('refuses %j naming the flag', (argv, message) => {
    expect(() => loadConfig(argv, {})).toThrow(ConfigError);
    expect(() => loadConfig(argv, {})).toThrow(message);
  });

  it('lists every flag and its environment variable in the usage text', () => {
    for (const word of [
      '--cloudevents-sink',
      'CONVEYOR_CLOUDEVENTS_SINK',
      '--cloudevents-allowed-sinks',
      'CONVEYOR_CLOUDEVENTS_ALLOWED_SINKS',
      '--openlineage-url',
      'CONVEYOR_OPENLINEAGE_URL',
      '--openlineage-token-file',
      'CONVEYOR_OPENLINEAGE_TOKEN_FILE',
      '--openlineage-namespace',
      'CONVEYOR_OPENLINEAGE_NAMESPACE',
      '--notify-queue-size',
      'CONVEYOR_NOTIFY_QUEUE_SIZE',
    ]) {
      expect(USAGE).toContain(word);
    }
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
