// The GitOps examples (examples/gitops): they deploy examples/*.yaml, into the same namespace with
// both tools, and keep the GitOps objects themselves out of what they deploy.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/tools.ts';

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
};
const load = (p: string): Obj[] =>
  parseAllDocuments(readFileSync(join(REPO_ROOT, 'examples/gitops', p), 'utf8')).map((d) => d.toJS() as Obj);
const PLACEHOLDER = 'https://github.com/example/conveyor-pipelines';

describe('examples/gitops', () => {
  it('Argo CD: an Application syncing the YAML files directly in examples/ into conveyor-examples', () => {
    const [app] = load('argocd/application.yaml');
    expect(app).toMatchObject({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { namespace: 'argocd' },
    });
    const spec = app!.spec as {
      source: Record<string, unknown>;
      destination: Record<string, unknown>;
      syncPolicy: { syncOptions: string[] };
    };
    expect(spec.source).toMatchObject({
      repoURL: PLACEHOLDER,
      path: 'examples',
      directory: { recurse: false, include: '*.yaml' },
    });
    expect(spec.destination).toMatchObject({ namespace: 'conveyor-examples' });
    expect(spec.syncPolicy.syncOptions).toContain('CreateNamespace=true');
  });

  it('Flux: a GitRepository whose artifact is examples/ without examples/gitops, and a waiting Kustomization', () => {
    const [repo] = load('flux/gitrepository.yaml');
    expect(repo).toMatchObject({
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      spec: { url: PLACEHOLDER },
    });
    const ignore = String(repo!.spec!.ignore).split('\n');
    expect(ignore).toEqual(expect.arrayContaining(['/*', '!/examples/', '/examples/gitops/']));
    const objs = load('flux/pipelines.yaml');
    expect(objs.find((o) => o.kind === 'Namespace')?.metadata.name).toBe('conveyor-examples');
    const ks = objs.find((o) => o.kind === 'Kustomization')!;
    expect(ks.apiVersion).toBe('kustomize.toolkit.fluxcd.io/v1');
    expect(ks.spec).toMatchObject({
      sourceRef: { kind: 'GitRepository', name: repo!.metadata.name },
      path: './examples',
      targetNamespace: 'conveyor-examples',
      wait: true,
      prune: true,
    });
  });
});
