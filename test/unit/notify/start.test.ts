import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig, type NotifyConfig } from '../../../src/config.ts';
import { registry } from '../../../src/metrics.ts';
import { startNotifier } from '../../../src/notify/start.ts';

function configOf(argv: string[]): NotifyConfig {
  const config = loadConfig(argv, {});
  if (config === 'help' || !config.notify) throw new Error('no notify config');
  return config.notify;
}

function started(argv: string[]) {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const notifier = startNotifier(configOf(argv), log, () => {});
  notifier.stop();
  return { notifier, lines };
}

describe('startNotifier', () => {
  it('is off without a sink flag, and says so', () => {
    const { notifier, lines } = started([]);
    expect(notifier.enabled()).toBe(false);
    expect(lines.map((l) => l.msg)).toEqual(['lifecycle notifications off (no sink set)']);
  });

  it('logs the sinks by origin only, and the token file by path, never a URL path or the token', () => {
    const { notifier, lines } = started([
      '--cloudevents-sink',
      'https://hooks.example.com/T000/SECRET',
      '--cloudevents-allowed-sinks',
      'https://team.example.com/SECRET2/',
      '--openlineage-url',
      'http://marquez:5000/SECRET3',
      '--openlineage-token-file',
      '/var/run/secrets/token',
    ]);
    expect(notifier.enabled()).toBe(true);
    expect(lines[0]).toMatchObject({
      msg: 'lifecycle notifications on',
      cloudEventsSink: 'https://hooks.example.com',
      allowedSinks: ['https://team.example.com'],
      openLineageUrl: 'http://marquez:5000',
      openLineageTokenFile: '/var/run/secrets/token',
    });
    expect(JSON.stringify(lines)).not.toContain('SECRET');
  });

  it('exports the conveyor_notify_* series at zero for each configured sink kind', async () => {
    started(['--cloudevents-sink', 'http://sink.test/', '--openlineage-url', 'http://marquez:5000']);
    const text = await registry.metrics();
    for (const sink of ['cloudevents', 'openlineage']) {
      for (const name of ['sent_total', 'failed_total', 'dropped_total', 'queue_depth']) {
        expect(text).toContain(`conveyor_notify_${name}{sink="${sink}"} 0`);
      }
    }
  });
});
