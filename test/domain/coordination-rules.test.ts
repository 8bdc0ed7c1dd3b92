import { describe, expect, it } from 'vitest';
import {
  canTransition,
  documentsThePast,
  EFFORT_STATUSES,
  givesEffort,
  type EffortStatus,
  isFinalStatus,
  needsActor,
} from '../../src/domain/coordination-rules.js';

describe('effort status transitions', () => {
  const allowed: [EffortStatus, EffortStatus][] = [
    ['planned', 'in_progress'],
    ['planned', 'done'],
    ['in_progress', 'done'],
    ['planned', 'cancelled'],
    ['planned', 'declined'],
    ['in_progress', 'cancelled'],
    ['in_progress', 'declined'],
  ];
  for (const [from, to] of allowed) {
    it(`${from} → ${to} is allowed`, () => expect(canTransition(from, to)).toBe(true));
  }

  it('every other change is refused', () => {
    for (const from of EFFORT_STATUSES) {
      for (const to of EFFORT_STATUSES) {
        if (from === to) continue;
        const expected = allowed.some(([f, t]) => f === from && t === to);
        expect(canTransition(from, to), `${from} → ${to}`).toBe(expected);
      }
    }
  });

  it('planned may become done at once (a planned meeting that was held)', () =>
    expect(canTransition('planned', 'done')).toBe(true));
  it('nothing goes back to planned', () => expect(canTransition('in_progress', 'planned')).toBe(false));

  it('done, cancelled and declined are final', () => {
    expect(EFFORT_STATUSES.filter(isFinalStatus)).toEqual(['done', 'declined', 'cancelled']);
    expect(canTransition('done', 'in_progress')).toBe(false);
    expect(canTransition('cancelled', 'planned')).toBe(false);
  });

  it('staying in the same status is not a transition', () => {
    for (const s of EFFORT_STATUSES) expect(canTransition(s, s)).toBe(true);
  });
});

describe('actors', () => {
  it('only external collaboration names an actor', () => {
    expect(needsActor('external_collaboration')).toBe(true);
    expect(needsActor('personal_support')).toBe(false);
    expect(needsActor('internal_coordination')).toBe(false);
  });
});

describe('givesEffort', () => {
  it('is a move to in_progress or done; declining, cancelling and staying put are not', () => {
    expect(givesEffort('planned', 'in_progress')).toBe(true);
    expect(givesEffort('in_progress', 'done')).toBe(true);
    expect(givesEffort('in_progress', 'in_progress')).toBe(false);
    expect(givesEffort('planned', 'cancelled')).toBe(false);
    expect(givesEffort('planned', 'declined')).toBe(false);
  });
});

describe('documentsThePast', () => {
  it('is true for what records something that happened, false for what is still to be given', () => {
    expect(EFFORT_STATUSES.filter(documentsThePast)).toEqual(['done', 'declined', 'cancelled']);
  });
});
