import { describe, expect, it } from 'vitest';
import {
  addEdge,
  addStage,
  edgeRefusal,
  edgesOf,
  emptyPipeline,
  etlTemplate,
  removeEdge,
  removeStage,
  setStageField,
  stagesOf,
} from '../../../../../src/console/ui/builder/model.ts';
import { autoPlace, depths } from '../../../../../src/console/ui/builder/layout.ts';

describe('builder model', () => {
  it('adds stages under fresh names', () => {
    let doc = emptyPipeline();
    for (let i = 0; i < 3; i++) doc = addStage(doc, 'transform').doc;
    expect(stagesOf(doc).map((s) => s.name)).toEqual(['transform', 'transform-2', 'transform-3']);
    expect(stagesOf(doc)[0]).toMatchObject({ image: 'busybox:1.36', command: ['sh', '-c', expect.any(String)] });
  });

  it('draws dependsOn edges, refusing self edges and repeats but not cycles', () => {
    let doc = addStage(addStage(emptyPipeline(), 'ingest').doc, 'load').doc;
    expect(edgeRefusal(doc, 'ingest', 'ingest')).toBe('a stage cannot depend on itself');
    doc = addEdge(doc, 'ingest', 'load');
    expect(edgeRefusal(doc, 'ingest', 'load')).toBe('load already depends on ingest');
    expect(addEdge(doc, 'ingest', 'load')).toBe(doc);
    doc = addEdge(doc, 'load', 'ingest'); // a cycle: drawn, the validator reports it
    expect(edgesOf(doc)).toEqual([
      { from: 'load', to: 'ingest' },
      { from: 'ingest', to: 'load' },
    ]);
    doc = removeEdge(doc, 'load', 'ingest');
    expect(stagesOf(doc)[0]).not.toHaveProperty('dependsOn');
  });

  it('renames carry into dependsOn; removing a stage removes the edges to it', () => {
    let doc = etlTemplate();
    expect(edgesOf(doc)).toEqual([
      { from: 'ingest', to: 'transform' },
      { from: 'transform', to: 'stage' },
      { from: 'stage', to: 'load' },
    ]);
    doc = setStageField(doc, 0, 'name', 'pull');
    expect(stagesOf(doc)[1]?.dependsOn).toEqual(['pull']);
    doc = removeStage(doc, 0);
    expect(stagesOf(doc).map((s) => s.name)).toEqual(['transform', 'stage', 'load']);
    expect(stagesOf(doc)[0]).not.toHaveProperty('dependsOn');
  });

  it('an emptied field is removed, not left empty; set again, it returns to its place', () => {
    const doc = setStageField(etlTemplate(), 1, 'image', undefined);
    expect(stagesOf(doc)[1]).not.toHaveProperty('image');
    const again = setStageField(addEdge(doc, 'ingest', 'transform'), 1, 'image', 'busybox', [
      'name',
      'image',
      'command',
      'dependsOn',
    ]);
    expect(Object.keys(stagesOf(again)[1]!)).toEqual(['name', 'image', 'command', 'dependsOn']);
  });

  it('places stages in columns by depth, keeping placed ones, even in a cycle', () => {
    const doc = addEdge(etlTemplate(), 'load', 'ingest');
    expect([...depths(etlTemplate()).values()]).toEqual([0, 1, 2, 3]);
    expect(depths(doc).size).toBe(4);
    const placed = autoPlace(etlTemplate(), new Map([['stage', { x: 5, y: 6 }]]));
    expect(placed.get('stage')).toEqual({ x: 5, y: 6 });
    expect(placed.get('load')!.x).toBeGreaterThan(placed.get('ingest')!.x);
  });

  it('half-typed stages (null, a number) are drawn without a name rather than breaking the drawing', () => {
    const doc = {
      ...emptyPipeline(),
      spec: { stages: [null, 5, { name: 'a', dependsOn: ['x'] }] },
    } as unknown as Parameters<typeof stagesOf>[0];
    expect(stagesOf(doc).map((s) => s.name)).toEqual(['', '', 'a']);
    expect(edgesOf(doc)).toEqual([]);
    expect(autoPlace(doc, new Map()).size).toBe(2);
  });
});
