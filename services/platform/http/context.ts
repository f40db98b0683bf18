import type { Language } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { AdminPrincipal, Principal } from '../security/principal.ts';

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
