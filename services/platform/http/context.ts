import type { Language } from '../errors.ts';
import type { Logger } from '../logger.ts';

/** Who is calling, from a verified access token. */
export interface Principal {
  userId: string;
  sessionId: string;
  deviceId: string;
  deviceType: string;
}

/** A platform administrator, from a verified admin token (never a chat user's token). */
export interface AdminPrincipal {
  adminId: string;
  username: string;
  role: string;
  permissions: readonly string[];
  /** The admin session the token belongs to (logout ends it). */
  sessionId: string;
}

/** Per-request facts every handler may need; set by the request-context middleware. */
export interface RequestState {
  traceId: string;
  language: Language;
  logger: Logger;
  principal?: Principal;
  admin?: AdminPrincipal;
}

export function languageOf(acceptLanguage: string | undefined): Language {
  if (!acceptLanguage) return 'en';
  for (const part of acceptLanguage.split(',')) {
    const tag = part.split(';')[0]!.trim().toLowerCase();
    if (tag.startsWith('zh')) return 'zh-CN';
    if (tag.startsWith('en')) return 'en';
  }
  return 'en';
}
