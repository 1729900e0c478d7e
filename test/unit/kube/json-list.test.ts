// Lists as the server's JSON (src/kube/json-list.ts): which API path becomes which request.
import { describe, expect, it } from 'vitest';
import { coreUrl, groupVersionOf } from '../../../src/kube/json-list.ts';

describe('groupVersionOf', () => {
  const cases: { apiPath: string; want: { group: string | undefined; version: string } }[] = [
    { apiPath: '/api/v1', want: { group: undefined, version: 'v1' } },
    { apiPath: '/apis/batch/v1', want: { group: 'batch', version: 'v1' } },
    { apiPath: '/apis/apps/v1', want: { group: 'apps', version: 'v1' } },
    { apiPath: '/apis/conveyor.dev/v1alpha1', want: { group: 'conveyor.dev', version: 'v1alpha1' } },
  ];
  for (const c of cases) it(c.apiPath, () => expect(groupVersionOf(c.apiPath)).toEqual(c.want));

  for (const bad of ['', '/api', '/apis/batch', '/apis/batch/v1/jobs', 'apis/batch/v1']) {
    it(`rejects ${JSON.stringify(bad)}, naming the field`, () =>
      expect(() => groupVersionOf(bad)).toThrow(/^apiPath: expected/));
  }
});

describe('coreUrl', () => {
  const cases: { url: string; want: string }[] = [
    {
      url: 'https://127.0.0.1:6443/apis/core.conveyor.invalid/v1/namespaces/a/persistentvolumeclaims?labelSelector=x%3Dy&limit=500',
      want: 'https://127.0.0.1:6443/api/v1/namespaces/a/persistentvolumeclaims?labelSelector=x%3Dy&limit=500',
    },
    {
      url: 'https://h:1/base/apis/core.conveyor.invalid/v1/persistentvolumeclaims',
      want: 'https://h:1/base/api/v1/persistentvolumeclaims',
    },
  ];
  for (const c of cases) it(c.url, () => expect(coreUrl(c.url)).toBe(c.want));
  it('refuses a URL without the placeholder', () =>
    expect(() => coreUrl('https://h/apis/batch/v1/jobs')).toThrow(/does not hold/));
});
