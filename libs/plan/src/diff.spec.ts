import { describe, expect, it } from 'vitest';
import { diffObjects, diffValues, planObjects, type PlanObject } from './index.js';

const quota = (cpu: string, namespace = 'ns-x') =>
  planObjects(
    {
      cluster: 'gkp-dev',
      file: 'clusters/gkp-dev/projects/x/manifests/d-dev.yaml',
      project: 'x',
      sources: ['projects/x.yaml'],
    },
    [
      {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'project-quota', namespace },
        spec: { hard: { 'requests.cpu': cpu, pods: '100' } },
      },
    ],
  )[0];
const platform = (kind: string, name: string, extra: object = {}): PlanObject =>
  planObjects({ cluster: 'gkp-dev', file: 'clusters/gkp-dev/platform/application.yaml', project: null, sources: [] }, [
    { apiVersion: 'argoproj.io/v1alpha1', kind, metadata: { name, namespace: 'argocd' }, ...extra },
  ])[0];

describe('diffValues', () => {
  it('names each changed leaf by its path, quoting keys that are not plain', () => {
    expect(
      diffValues(
        { spec: { hard: { 'requests.cpu': '8', pods: '100' } } },
        { spec: { hard: { 'requests.cpu': '16', pods: '100' } } },
      ),
    ).toEqual([{ path: 'spec.hard["requests.cpu"]', before: '8', after: '16' }]);
  });

  it('gives added and removed fields one side only, and every leaf under them', () => {
    expect(diffValues({ a: 1, gone: { x: [1, 2] } }, { a: 1, new: { y: 'z' } })).toEqual([
      { path: 'gone.x', before: [1, 2] },
      { path: 'new.y', after: 'z' },
    ]);
  });

  it('compares lists of objects item by item, and a list of scalars as one value', () => {
    const before = { rules: [{ verbs: ['get'] }], args: ['a'] };
    const after = { rules: [{ verbs: ['get', 'list'] }, { verbs: ['watch'] }], args: ['a', 'b'] };
    expect(diffValues(before, after)).toEqual([
      { path: 'args', before: ['a'], after: ['a', 'b'] },
      { path: 'rules[0].verbs', before: ['get'], after: ['get', 'list'] },
      { path: 'rules[1].verbs', after: ['watch'] },
    ]);
  });

  it('sees a change of type where the JSON differs ("8" and 8 are not the same quantity in YAML)', () => {
    expect(diffValues({ pods: '8' }, { pods: 8 })).toEqual([{ path: 'pods', before: '8', after: 8 }]);
  });
});

describe('diffObjects', () => {
  it('reports an update with its field diff, and nothing for an equal object', () => {
    const changes = diffObjects([quota('8'), platform('AppProject', 'p')], [quota('16'), platform('AppProject', 'p')]);
    expect(changes.map(({ base, head, ...c }) => c)).toEqual([
      {
        cluster: 'gkp-dev',
        project: 'x',
        action: 'update',
        kind: 'ResourceQuota',
        apiVersion: 'v1',
        namespace: 'ns-x',
        name: 'project-quota',
        diff: [{ path: 'spec.hard["requests.cpu"]', before: '8', after: '16' }],
      },
    ]);
  });

  it(
    'tells objects apart by namespace, ' + 'and orders the platform before projects, creates and deletes among them',
    () => {
      const changes = diffObjects(
        [quota('8', 'ns-a'), platform('Application', 'old')],
        [quota('8', 'ns-b'), platform('Application', 'new')],
      );
      expect(changes.map((c) => `${c.project ?? 'platform'} ${c.action} ${c.namespace}/${c.name}`)).toEqual([
        'platform create argocd/new',
        'platform delete argocd/old',
        'x delete ns-a/project-quota',
        'x create ns-b/project-quota',
      ]);
    },
  );

  it('lists every field a created object sets', () => {
    const [change] = diffObjects([], [quota('8')]);
    expect(change.diff).toContainEqual({ path: 'spec.hard["requests.cpu"]', after: '8' });
    expect(change.diff).toContainEqual({ path: 'metadata.name', after: 'project-quota' });
  });

  it('is the same object whatever the version of its group', () => {
    const v1 = planObjects({ cluster: 'c', file: 'f', project: null, sources: [] }, [
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'n' }, spec: { replicas: 1 } },
    ]);
    const v1beta2 = planObjects({ cluster: 'c', file: 'f', project: null, sources: [] }, [
      {
        apiVersion: 'apps/v1beta2',
        kind: 'Deployment',
        metadata: { name: 'd', namespace: 'n' },
        spec: { replicas: 1 },
      },
    ]);
    expect(diffObjects(v1beta2, v1).map((c) => c.action)).toEqual(['update']);
  });
});
