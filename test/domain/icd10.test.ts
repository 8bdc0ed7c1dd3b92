import { describe, expect, it } from 'vitest';
import { CHAPTERS, chapterOf, normaliseDiagnosisCode, statisticsGroupOf } from '../../src/domain/icd10.js';

describe('ICD-10-SE codes', () => {
  it('are stored without the dot and in capitals', () => {
    expect(normaliseDiagnosisCode('F32.1')).toEqual({ code: 'F321' });
    expect(normaliseDiagnosisCode('f321')).toEqual({ code: 'F321' });
    expect(normaliseDiagnosisCode('M54.50')).toEqual({ code: 'M5450' });
    expect(normaliseDiagnosisCode('J06')).toEqual({ code: 'J06' });
  });
  it('are a letter, two digits and at most two more characters', () => {
    for (const bad of ['', 'F', 'F3', '32.1', 'FF32', 'M54.501', 'M54..5', 'M54.', 'M 54']) {
      expect(normaliseDiagnosisCode(bad)).toEqual({ problem: 'format' });
    }
  });
  it('F-codes and Z73 need a fourth character', () => {
    expect(normaliseDiagnosisCode('F32')).toEqual({ problem: 'needs_fourth_character' });
    expect(normaliseDiagnosisCode('Z73')).toEqual({ problem: 'needs_fourth_character' });
    expect(normaliseDiagnosisCode('Z73.0')).toEqual({ code: 'Z730' });
    expect(normaliseDiagnosisCode('Z72')).toEqual({ code: 'Z72' });
  });
  it('belong to a chapter', () => {
    expect(chapterOf('A09')).toBe('A00-B99');
    expect(chapterOf('D50')).toBe('D50-D89');
    expect(chapterOf('D48')).toBe('C00-D48');
    expect(chapterOf('H60')).toBe('H60-H95');
    expect(chapterOf('U071')).toBe('U00-U99');
    expect(chapterOf('Z730')).toBe('Z00-Z99');
    expect(CHAPTERS).toHaveLength(22);
  });
  it('a code between chapters has none', () => {
    expect(chapterOf('H96')).toBeUndefined();
    expect(normaliseDiagnosisCode('H96')).toEqual({ problem: 'unknown_chapter' });
  });
  it('fall into the seven statistics groups', () => {
    expect(statisticsGroupOf('J06')).toBe('somatic');
    expect(statisticsGroupOf('E90')).toBe('somatic');
    expect(statisticsGroupOf('F321')).toBe('psychiatric');
    expect(statisticsGroupOf('M545')).toBe('musculoskeletal');
    expect(statisticsGroupOf('O99')).toBe('pregnancy');
    expect(statisticsGroupOf('R53')).toBe('symptom');
    expect(statisticsGroupOf('Z730')).toBe('health_factors');
    expect(statisticsGroupOf('S72')).toBe('other');
    expect(statisticsGroupOf('U071')).toBe('other');
    expect(statisticsGroupOf('P96')).toBe('other');
  });
});
