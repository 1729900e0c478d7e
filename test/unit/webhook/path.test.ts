// The receiver path is Flux's: /hook/ + sha256(token + name + namespace).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isWebhookPath, webhookPath } from '../../../src/webhook/path.ts';

describe('webhookPath', () => {
  it.each([
    ['s3cr3t', 'orders', 'data'],
    ['', 'p', 'default'],
    ['töken with spaces', 'a.b', 'ns-1'],
  ])('token %j, pipeline %s/%s: /hook/ + sha256 hex of token+name+namespace', (token, name, namespace) => {
    const expected = `/hook/${createHash('sha256')
      .update(token + name + namespace)
      .digest('hex')}`;
    expect(webhookPath(token, name, namespace)).toBe(expected);
    expect(isWebhookPath(webhookPath(token, name, namespace))).toBe(true);
  });

  it('a known value (sha256sum of "tokenpns", computed outside Node)', () => {
    expect(webhookPath('token', 'p', 'ns')).toBe(
      '/hook/c6984a36d52b77758228ff15332f8d02ea1b8bb74bdb2f8b3a269e97396237e7',
    );
  });

  it('changes with the token, the name and the namespace', () => {
    const base = webhookPath('t', 'p', 'ns');
    expect(
      new Set([base, webhookPath('u', 'p', 'ns'), webhookPath('t', 'q', 'ns'), webhookPath('t', 'p', 'nt')]).size,
    ).toBe(4);
  });

  it.each(['/hook/', '/hook/ABC', `/hook/${'a'.repeat(63)}`, `/hook/${'a'.repeat(65)}`, `/hooks/${'a'.repeat(64)}`])(
    '%s is not a webhook path',
    (path) => {
      expect(isWebhookPath(path)).toBe(false);
    },
  );
});
