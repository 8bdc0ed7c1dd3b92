/** HSA-id: 'SE' + 10 digits (the organisation number) + '-' + a local code; at most 31 characters. */
export const HSA_ID_PATTERN = /^SE\d{10}-[A-Za-z0-9]+$/;
export const HSA_ID_MAX_LENGTH = 31;

export function isHsaId(value: string): boolean {
  return value.length <= HSA_ID_MAX_LENGTH && HSA_ID_PATTERN.test(value);
}
