/** Words of the files, voice notes and notifications screens, in English and Simplified Chinese. */
const en = {} as const;

export const fileWords = {
  en,
  zh: {} satisfies Record<keyof typeof en, string>,
};
