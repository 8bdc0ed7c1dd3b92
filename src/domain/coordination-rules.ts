/** Coordination efforts (koordineringsinsatser) and the coordinator status of a case: pure rules. */

export const EFFORT_KINDS = ['personal_support', 'internal_coordination', 'external_collaboration'] as const;
export type EffortKind = (typeof EFFORT_KINDS)[number];

export const EFFORT_STATUSES = ['planned', 'in_progress', 'done', 'declined', 'cancelled'] as const;
export type EffortStatus = (typeof EFFORT_STATUSES)[number];

export const COORDINATOR_STATUSES = ['contacted', 'active', 'follow_up', 'closed', 'declined', 'no_action'] as const;
export type CoordinatorStatus = (typeof COORDINATOR_STATUSES)[number];

/**
 * planned → in_progress → done, or planned → done (a planned meeting that was held: two patches for it were one too
 * many, each checking consent again); planned or in_progress →
 * cancelled or declined; done, cancelled and declined are final.
 */
const NEXT: Record<EffortStatus, readonly EffortStatus[]> = {
  planned: ['in_progress', 'done', 'cancelled', 'declined'],
  in_progress: ['done', 'cancelled', 'declined'],
  done: [],
  cancelled: [],
  declined: [],
};

/** Moving an effort on to these is giving it: it needs valid consent, as creating it did. */
export const GIVING_STATUSES: readonly EffortStatus[] = ['in_progress', 'done'];

/** Whether a status change gives the effort (and so must rest on consent); declining or cancelling never does. */
export function givesEffort(from: EffortStatus, to: EffortStatus): boolean {
  return to !== from && GIVING_STATUSES.includes(to);
}

/**
 * Whether an effort in this status records something that happened (done, or ended: declined, cancelled), so that a
 * consent revoked since still covers its day if that was before the revocation. A planned or running effort is still
 * to be given: it needs a consent that stands now, and a revoked one never does (domain.md: revocation is final).
 */
export function documentsThePast(status: EffortStatus): boolean {
  return status === 'done' || isFinalStatus(status);
}

/** Staying in the same status is not a transition and always allowed (a PATCH may change only the note). */
export function canTransition(from: EffortStatus, to: EffortStatus): boolean {
  return from === to || NEXT[from].includes(to);
}

export function isFinalStatus(status: EffortStatus): boolean {
  return NEXT[status].length === 0;
}

export function allowedNextStatuses(from: EffortStatus): readonly EffortStatus[] {
  return NEXT[from];
}

/** Collaboration with other actors names the actor; personal support and internal coordination involve none. */
export function needsActor(kind: EffortKind): boolean {
  return kind === 'external_collaboration';
}
