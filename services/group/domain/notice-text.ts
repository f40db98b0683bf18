import { type ProfileSummary, SYSTEM_MESSAGE_TEXT_MAX } from '../../platform/contracts/index.ts';

/** Names a notice spells out; the rest are counted ("and 490 others"), the full list is in its data. */
const NAMED_IN_NOTICE = 10;

const list = new Intl.ListFormat('en', { style: 'long', type: 'conjunction' });

/** "Ann", "Ann and Ben", "Ann, Ben, and Cy"; past NAMED_IN_NOTICE names: "Ann, Ben, …, and 490 others". */
export function nameList(names: string[]): string {
  if (names.length <= NAMED_IN_NOTICE) return list.format(names);
  const rest = names.length - (NAMED_IN_NOTICE - 1);
  return list.format([...names.slice(0, NAMED_IN_NOTICE - 1), `${rest} others`]);
}

/**
 * A system message's text as the message service accepts it: at most SYSTEM_MESSAGE_TEXT_MAX
 * characters (a longer one would be dropped, and no member would see the notice). What is cut
 * (a long announcement) stays whole in the notice's data.
 */
export function fitNotice(text: string): string {
  if (text.length <= SYSTEM_MESSAGE_TEXT_MAX) return text;
  let cut = text.slice(0, SYSTEM_MESSAGE_TEXT_MAX - 1);
  // Never leave half of a character written as a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** A user's name in a notice: their nickname, or their id when they have none. */
export function nameOf(profiles: Map<string, ProfileSummary>, userId: string): string {
  return profiles.get(userId)?.nickname || userId;
}

/** The users' names for a notice: a long list is summarized (the full list is in its data). */
export function namesOf(profiles: Map<string, ProfileSummary>, userIds: string[]): string {
  return nameList(userIds.map((id) => nameOf(profiles, id)));
}
