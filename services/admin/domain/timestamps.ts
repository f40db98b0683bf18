/** Raw SQL rows carry timestamps as PostgreSQL text; the API shows ISO 8601. */
export const isoOf = (value: string | Date): string => new Date(value).toISOString();
export const isoOrNull = (value: string | Date | null): string | null =>
  value === null ? null : isoOf(value);
