/**
 * Entity tags of versioned resources (RFC 9110 §8.8.3): the version as a strong tag, `"3"`. A PATCH with `If-Match`
 * is done only if the resource is still at a version it names, so that two editors cannot overwrite each other
 * unawares; without the header it is done as before (the outline asks for no precondition).
 */
export const etagOf = (version: number): string => `"${version}"`;

/** Whether an If-Match field value (`*`, or a list of tags) names this version. Weak tags never match (strong comparison). */
export function ifMatchAllows(ifMatch: string, version: number): boolean {
  const value = ifMatch.trim();
  if (value === '*') return true;
  const tag = etagOf(version);
  return value.split(',').some((t) => t.trim() === tag);
}
