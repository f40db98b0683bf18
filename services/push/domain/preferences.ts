import type { SqlExecutor } from '../../platform/db/index.ts';

/** A user's push preferences (user settings), as the push service keeps them. */
export interface PushPreferences {
  notificationEnabled: boolean;
  language: string;
  dndStart: string | null;
  dndEnd: string | null;
  timeZone: string;
  pushPreview: boolean;
  pushMentionsWhenMuted: boolean;
}

/** What a user who never changed their settings gets (the user service's defaults; the language is the platform's, DEFAULT_LANGUAGE). */
export const DEFAULT_PREFERENCES: Omit<PushPreferences, 'language'> = {
  notificationEnabled: true,
  dndStart: null,
  dndEnd: null,
  timeZone: 'UTC',
  pushPreview: true,
  pushMentionsWhenMuted: true,
};

const T = '"push"."push_preferences"';

const minutesOf = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

/** Minutes since midnight at `at` in `timeZone`. */
function minuteOfDay(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const hour = Number(parts.find((part) => part.type === 'hour')?.value ?? 0);
  const minute = Number(parts.find((part) => part.type === 'minute')?.value ?? 0);
  return hour * 60 + minute;
}

/** Whether `at` falls in the user's do-not-disturb hours (a window may pass midnight: 22:00-07:00). */
export function inDoNotDisturb(preferences: PushPreferences, at: Date): boolean {
  if (!preferences.dndStart || !preferences.dndEnd) return false;
  const start = minutesOf(preferences.dndStart);
  const end = minutesOf(preferences.dndEnd);
  if (start === end) return false;
  const now = minuteOfDay(at, preferences.timeZone);
  return start < end ? now >= start && now < end : now >= start || now < end;
}

/** The users' push preferences, copied from `user.settings.updated`. */
export class Preferences {
  readonly #sql: SqlExecutor;
  /** A user's preferences until their settings first change. */
  readonly defaults: PushPreferences;

  constructor(sql: SqlExecutor, defaultLanguage: string) {
    this.#sql = sql;
    this.defaults = { ...DEFAULT_PREFERENCES, language: defaultLanguage };
  }

  async apply(userId: string, preferences: PushPreferences): Promise<void> {
    await this.#sql.query(
      `insert into ${T} ("user_id", "notification_enabled", "language", "dnd_start", "dnd_end", "time_zone",
         "push_preview", "push_mentions_when_muted") values (?, ?, ?, ?, ?, ?, ?, ?)
       on conflict ("user_id") do update set "notification_enabled" = excluded."notification_enabled",
         "language" = excluded."language", "dnd_start" = excluded."dnd_start", "dnd_end" = excluded."dnd_end",
         "time_zone" = excluded."time_zone", "push_preview" = excluded."push_preview",
         "push_mentions_when_muted" = excluded."push_mentions_when_muted"`,
      [
        userId,
        preferences.notificationEnabled,
        preferences.language,
        preferences.dndStart,
        preferences.dndEnd,
        preferences.timeZone,
        preferences.pushPreview,
        preferences.pushMentionsWhenMuted,
      ],
    );
  }

  /** Each user's preferences; the defaults for a user who never changed them. */
  async of(userIds: string[]): Promise<Map<string, PushPreferences>> {
    const found = new Map(userIds.map((userId) => [userId, this.defaults]));
    if (userIds.length === 0) return found;
    const rows = await this.#sql.query<{
      user_id: string;
      notification_enabled: boolean;
      language: string;
      dnd_start: string | null;
      dnd_end: string | null;
      time_zone: string;
      push_preview: boolean;
      push_mentions_when_muted: boolean;
    }>(
      `select "user_id"::text as "user_id", * from ${T} where "user_id" in (select jsonb_array_elements_text(?::jsonb)::bigint)`,
      [JSON.stringify(userIds)],
    );
    for (const row of rows) {
      found.set(row.user_id, {
        notificationEnabled: row.notification_enabled,
        language: row.language,
        dndStart: row.dnd_start,
        dndEnd: row.dnd_end,
        timeZone: row.time_zone,
        pushPreview: row.push_preview,
        pushMentionsWhenMuted: row.push_mentions_when_muted,
      });
    }
    return found;
  }
}
