// --events: which planned Events the recorder sends (the API call itself is exercised by e2e).
import { describe, expect, it } from 'vitest';
import type { EventSelection } from '../../../src/config.ts';
import { isSelected } from '../../../src/controller/reconcile/event-recorder.ts';

describe('isSelected', () => {
  it.each<[EventSelection, 'Normal' | 'Warning', boolean]>([
    ['all', 'Normal', true],
    ['all', 'Warning', true],
    ['warnings', 'Normal', false],
    ['warnings', 'Warning', true],
  ])('--events %s, a %s Event: sent %s', (selection, type, sent) => {
    expect(isSelected(selection, type)).toBe(sent);
  });
});
