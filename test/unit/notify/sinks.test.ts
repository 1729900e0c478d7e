import { describe, expect, it } from 'vitest';
import { isUnder, sinkRefusal } from '../../../src/notify/sinks.ts';

describe('isUnder: a per-Pipeline sink against one allowed prefix', () => {
  it.each([
    ['https://hooks.example.com/team-a', 'https://hooks.example.com/team-a', true],
    ['https://hooks.example.com/team-a/ci', 'https://hooks.example.com/team-a', true],
    ['https://hooks.example.com/team-a?x=1', 'https://hooks.example.com/team-a', true],
    ['https://hooks.example.com/team-ab', 'https://hooks.example.com/team-a', false],
    ['https://hooks.example.com/team-ab', 'https://hooks.example.com/team-a/', false],
    ['https://hooks.example.com/team-a/x', 'https://hooks.example.com/team-a/', true],
    ['https://hooks.example.com/anything', 'https://hooks.example.com', true],
    ['https://HOOKS.example.com/a', 'https://hooks.example.com/', true],
    ['https://hooks.example.com.evil.test/', 'https://hooks.example.com', false],
    ['https://hooks.example.com:8443/', 'https://hooks.example.com', false],
    ['https://hooks.example.com:443/', 'https://hooks.example.com', true],
    ['http://hooks.example.com/', 'https://hooks.example.com', false],
    ['http://sink.team-a.svc.cluster.local/', 'http://sink.team-a.svc', false],
  ])('%s under %s: %s', (url, prefix, expected) => {
    expect(isUnder(url, prefix)).toBe(expected);
  });
});

describe('sinkRefusal', () => {
  const allowed = ['https://hooks.example.com/team-a/', 'http://broker-ingress.knative-eventing.svc/team-a'];

  it('allows a URL under one of the prefixes', () => {
    expect(sinkRefusal('http://broker-ingress.knative-eventing.svc/team-a/default', allowed)).toBeUndefined();
    expect(sinkRefusal('https://hooks.example.com/team-a/ci', allowed)).toBeUndefined();
  });

  it.each([
    [
      'http://169.254.169.254/latest/meta-data/',
      allowed,
      "spec.notify.cloudevents.url is not sent to: it is under none of the operator's allowed sinks (--cloudevents-allowed-sinks: https://hooks.example.com/team-a/, http://broker-ingress.knative-eventing.svc/team-a)",
    ],
    [
      'https://hooks.example.com/x',
      [],
      'spec.notify.cloudevents.url is not sent to: the operator allows no per-Pipeline sinks (--cloudevents-allowed-sinks is not set)',
    ],
    ['file:///etc/passwd', allowed, 'spec.notify.cloudevents.url: expected an http or https URL'],
    [
      'https://u:p@hooks.example.com/team-a/',
      allowed,
      'spec.notify.cloudevents.url: expected a URL without user or password',
    ],
    ['not a url', allowed, 'spec.notify.cloudevents.url: expected an absolute http or https URL'],
  ])('refuses %s, saying why', (url, prefixes, message) => {
    expect(sinkRefusal(url, prefixes)).toBe(message);
  });

  it('names at most three allowed prefixes', () => {
    const many = ['http://a/', 'http://b/', 'http://c/', 'http://d/'];
    expect(sinkRefusal('http://e/', many)).toBe(
      "spec.notify.cloudevents.url is not sent to: it is under none of the operator's allowed sinks (--cloudevents-allowed-sinks: http://a/, http://b/, http://c/, ...)",
    );
  });
});
