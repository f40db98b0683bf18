/** Words of the group management (group info, members, roles, announcement, join requests, QR code) screens, in English and Simplified Chinese. */
const en = {} as const;

export const groupWords = {
  en,
  zh: {} satisfies Record<keyof typeof en, string>,
};
