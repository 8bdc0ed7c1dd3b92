/**
 * Entity tags of versioned resources (RFC 9110 §8.8.3): the version as a strong tag, `"3"`. A PATCH with `If-Match`
 * is done only if the resource is still at a version it names, so that two editors cannot overwrite each other
 * unawares; without the header it is done as before (the outline asks for no precondition).
 */
export const etagOf = (version: number): string => `"${version}"`;

/** The preconditions of a conditional change, as the request's header fields give them. */
export interface Preconditions {
  ifMatch?: string;
  ifNoneMatch?: string;
}

/**
 * Whether an If-None-Match field value lets a change of an existing resource at this version go ahead (RFC 9110
 * §13.1.2): `*` never does (the resource exists), a list does unless it names the version (weak comparison, so
 * `W/"3"` names 3).
 */
export function ifNoneMatchAllows(ifNoneMatch: string, version: number): boolean {
  const value = ifNoneMatch.trim();
  if (value === '*') return false;
  const tag = etagOf(version);
  return !value.split(',').some((t) => t.trim().replace(/^W\//, '') === tag);
}

/** Whether an If-Match field value (`*`, or a list of tags) names this version. Weak tags never match (strong comparison). */
export function ifMatchAllows(ifMatch: string, version: number): boolean {
  const value = ifMatch.trim();
  if (value === '*') return true;
  const tag = etagOf(version);
  return value.split(',').some((t) => t.trim() === tag);
}
