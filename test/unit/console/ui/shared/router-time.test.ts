import { describe, expect, it } from 'vitest';
import { parseRoute } from '../../../../../src/console/ui/shared/router.ts';
import { relative } from '../../../../../src/console/ui/shared/time.ts';

describe('parseRoute', () => {
  it('knows the overview, a pipeline (segments decoded) and the builder', () => {
    expect(parseRoute('')).toEqual({ view: 'overview' });
    expect(parseRoute('#/')).toEqual({ view: 'overview' });
    expect(parseRoute('#/p/team-a/nightly.etl')).toEqual({ view: 'pipeline', namespace: 'team-a', name: 'nightly.etl' });
    expect(parseRoute('#/p/ns/a%2Fb')).toEqual({ view: 'pipeline', namespace: 'ns', name: 'a/b' });
    expect(parseRoute('#/builder')).toEqual({ view: 'builder' });
    expect(parseRoute('#/builder?from=ns/name')).toEqual({ view: 'builder' });
  });

  it('calls anything else unknown, including a malformed escape', () => {
    expect(parseRoute('#/p/only-namespace')).toEqual({ view: 'unknown', hash: '#/p/only-namespace' });
    expect(parseRoute('#/p/ns/%E0%A4%A')).toEqual({ view: 'unknown', hash: '#/p/ns/%E0%A4%A' });
    expect(parseRoute('#/settings')).toEqual({ view: 'unknown', hash: '#/settings' });
  });
});

describe('relative', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  it('says how long ago or how soon, in the largest fitting unit', () => {
    expect(relative('2026-12-01T11:59:58Z', now)).toBe('just now');
    expect(relative('2026-12-01T11:59:30Z', now)).toBe('30s ago');
    expect(relative('2026-12-01T11:56:00Z', now)).toBe('4m ago');
    expect(relative('2026-12-01T14:00:00Z', now)).toBe('in 2h');
    expect(relative('2026-11-28T12:00:00Z', now)).toBe('3d ago');
    expect(relative(new Date('2026-12-01T12:05:00Z'), now)).toBe('in 5m');
  });
  it('is empty when the time is unknown or not a time', () => {
    expect(relative(undefined, now)).toBe('');
    expect(relative('not a time', now)).toBe('');
  });
});
