/** Words of the profile, settings, devices, contacts extras screens, in English and Simplified Chinese. */
const en = {} as const;

export const profileWords = {
  en,
  zh: {} satisfies Record<keyof typeof en, string>,
};
