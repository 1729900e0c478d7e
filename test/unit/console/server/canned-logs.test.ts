// Telling a KWOK node's canned pod logs from a pod's own (the note in the stage panel).
import { describe, expect, it } from 'vitest';
import { isKwokNode, KWOK_NODE_ANNOTATION, onKwokNode } from '../../../../src/console/server/canned-logs.ts';

const node = (annotations?: Record<string, string>) => ({
  metadata: { name: 'node-000000', ...(annotations ? { annotations } : {}) },
});

describe('isKwokNode', () => {
  it('knows a node by the annotation kwokctl gives the nodes KWOK manages', () => {
    expect(isKwokNode(node({ [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' }))).toBe(true);
    expect(isKwokNode(node({ 'node.alpha.kubernetes.io/ttl': '0' }))).toBe(false);
    expect(isKwokNode(node())).toBe(false);
    expect(isKwokNode(undefined)).toBe(false);
  });
});

describe('onKwokNode', () => {
  const core = (answer: () => Promise<unknown>) => {
    const asked: string[] = [];
    return { asked, readNode: (({ name }: { name: string }) => (asked.push(name), answer())) as never };
  };

  it("reads the pod's node", async () => {
    const kwok = core(async () => node({ [KWOK_NODE_ANNOTATION]: 'fake' }));
    expect(await onKwokNode(kwok, { spec: { nodeName: 'node-000000', containers: [] } })).toBe(true);
    expect(kwok.asked).toEqual(['node-000000']);
    expect(
      await onKwokNode(
        core(async () => node()),
        { spec: { nodeName: 'worker-1', containers: [] } },
      ),
    ).toBe(false);
  });

  it('says no, without guessing, when the node cannot be read or the pod has none yet', async () => {
    const forbidden = core(() => Promise.reject(Object.assign(new Error('nodes is forbidden'), { code: 403 })));
    expect(await onKwokNode(forbidden, { spec: { nodeName: 'node-000000', containers: [] } })).toBe(false);
    const unscheduled = core(async () => node({ [KWOK_NODE_ANNOTATION]: 'fake' }));
    expect(await onKwokNode(unscheduled, { spec: { containers: [] } })).toBe(false);
    expect(unscheduled.asked).toEqual([]);
  });
});
