/** Words of the calls and meetings in the browser screens, in English and Simplified Chinese. */
const en = {} as const;

export const callWords = {
  en,
  zh: {} satisfies Record<keyof typeof en, string>,
};
