/**
 * ICD-10-SE diagnosis codes: format, normalisation, chapters and the seven statistics groups.
 * A code is a letter A–Z and two digits, optionally followed by up to two more characters (at most 5 in all, stored
 * without the dot). F-codes and Z73 need a fourth character.
 */
export const CHAPTERS = [
  'A00-B99',
  'C00-D48',
  'D50-D89',
  'E00-E90',
  'F00-F99',
  'G00-G99',
  'H00-H59',
  'H60-H95',
  'I00-I99',
  'J00-J99',
  'K00-K93',
  'L00-L99',
  'M00-M99',
  'N00-N99',
  'O00-O99',
  'P00-P96',
  'Q00-Q99',
  'R00-R99',
  'S00-T98',
  'U00-U99',
  'V01-Y98',
  'Z00-Z99',
] as const;
export type Chapter = (typeof CHAPTERS)[number];

export const STATISTICS_GROUPS = [
  'somatic',
  'psychiatric',
  'musculoskeletal',
  'pregnancy',
  'symptom',
  'health_factors',
  'other',
] as const;
export type StatisticsGroup = (typeof STATISTICS_GROUPS)[number];

const GROUP_RANGES: ReadonlyArray<[string, string, StatisticsGroup]> = [
  ['A00', 'E90', 'somatic'],
  ['F00', 'F99', 'psychiatric'],
  ['G00', 'L99', 'somatic'],
  ['M00', 'M99', 'musculoskeletal'],
  ['N00', 'N99', 'somatic'],
  ['O00', 'O99', 'pregnancy'],
  ['P00', 'P96', 'other'],
  ['Q00', 'Q99', 'other'],
  ['R00', 'R99', 'symptom'],
  ['S00', 'Y98', 'other'],
  ['U00', 'U99', 'other'],
  ['Z00', 'Z99', 'health_factors'],
];

const CODE_FORMAT = /^[A-Z]\d{2}(\.?[0-9A-Z]{1,2})?$/;

export type DiagnosisCodeProblem = 'format' | 'needs_fourth_character' | 'unknown_chapter';

/** 'F32.1' or 'F321' → 'F321'; a problem when the code cannot be an ICD-10-SE code. */
export function normaliseDiagnosisCode(input: string): { code: string } | { problem: DiagnosisCodeProblem } {
  const upper = input.toUpperCase();
  if (!CODE_FORMAT.test(upper)) return { problem: 'format' };
  const code = upper.replace('.', '');
  if (code.length > 5) return { problem: 'format' };
  if ((code.startsWith('F') || code.startsWith('Z73')) && code.length < 4) return { problem: 'needs_fourth_character' };
  if (!chapterOf(code)) return { problem: 'unknown_chapter' };
  return { code };
}

const inRange = (category: string, from: string, to: string) => category >= from && category <= to;

/** The chapter ('F00-F99') of a stored code, by its three-character category. */
export function chapterOf(code: string): Chapter | undefined {
  const category = code.slice(0, 3);
  return CHAPTERS.find((chapter) => inRange(category, chapter.slice(0, 3), chapter.slice(4, 7)));
}

export function statisticsGroupOf(code: string): StatisticsGroup | undefined {
  const category = code.slice(0, 3);
  return GROUP_RANGES.find(([from, to]) => inRange(category, from, to))?.[2];
}
