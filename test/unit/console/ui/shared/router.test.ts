import { describe, expect, it } from 'vitest';
import { parseRoute } from '../../../../../src/console/ui/shared/router.ts';

describe('parseRoute', () => {
  it('knows the overview, a pipeline (segments decoded) and the builder', () => {
    expect(parseRoute('')).toEqual({ view: 'overview' });
    expect(parseRoute('#/')).toEqual({ view: 'overview' });
    expect(parseRoute('#/p/team-a/nightly.etl')).toEqual({
      view: 'pipeline',
      namespace: 'team-a',
      name: 'nightly.etl',
    });
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
