/** Timestamps as raw statements return them (a Date or its text). */
export const date = (value: Date | string) => new Date(value);
export const dateOrNull = (value: Date | string | null | undefined) => (value ? new Date(value) : null);
