import { createHash } from 'node:crypto';
import { previewOf, type SessionType, SYSTEM_SENDER } from '../../platform/contracts/index.ts';
import { AppError, ErrorCode, messageFor } from '../../platform/errors.ts';
import type { ProfileCache } from '../clients/profiles.ts';
import type { MessageService, SendAck } from './message-service.ts';
import type { StoredMessage } from './store.ts';
import type { SelfDestruct } from './timers.ts';

export interface ForwardTarget {
  sessionType: SessionType;
  targetId: string;
}

export interface ForwardInput {
  userId: string;
  /** The request's id: each message sent gets a clientMsgId derived from it, so a retry sends nothing twice. */
  clientMsgId: string;
  messageIds: string[];
  targets: ForwardTarget[];
  /** `separate`: each message sent again as it is; `merged`: one chat-history message of them all. */
  mode: 'separate' | 'merged';
  title?: string | undefined;
}

export interface ForwardResult extends ForwardTarget {
  messages: SendAck[];
  /** Why this target got nothing (not a friend, not in the group, muted…); the others are unaffected. */
  error?: { code: number; message: string };
}

/** Media content types whose content names an uploaded file. */
const FILE_TYPES = new Set(['image', 'video', 'voice', 'file']);

/**
 * Server-side forwarding: messages the forwarder can see are sent again, as the forwarder's own, to
 * one or more conversations. Files are not uploaded again: the message names the same file, which
 * the file service shares on only if the forwarder may see it. Recalled, system and self-destructing
 * messages are not forwarded.
 */
export class Forwarding {
  readonly #messages: MessageService;
  readonly #timers: SelfDestruct;
  readonly #profiles: ProfileCache;

  constructor(messages: MessageService, timers: SelfDestruct, profiles: ProfileCache) {
    this.#messages = messages;
    this.#timers = timers;
    this.#profiles = profiles;
  }

  async forward(input: ForwardInput, traceId?: string): Promise<{ results: ForwardResult[] }> {
    const sources = await this.#sources(input.userId, [...new Set(input.messageIds)]);
    const sends = input.mode === 'merged' ? [await this.#merged(sources, input.title)] : sources.map(resend);
    const results: ForwardResult[] = [];
    for (const target of input.targets) {
      const result: ForwardResult = { ...target, messages: [] };
      try {
        for (const [index, send] of sends.entries())
          result.messages.push(
            await this.#messages.send(
              {
                senderId: input.userId,
                deviceId: undefined,
                clientMsgId: derivedClientMsgId(input.clientMsgId, index, target),
                sessionType: target.sessionType,
                targetId: target.targetId,
                ...send,
              },
              traceId,
            ),
          );
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        result.error = { code: error.code, message: error.detail ?? messageFor(error.code, 'en') };
      }
      results.push(result);
    }
    return { results };
  }

  /** The messages, checked, in the order they were sent. */
  async #sources(userId: string, messageIds: string[]): Promise<StoredMessage[]> {
    const sources: StoredMessage[] = [];
    for (const messageId of messageIds) {
      const { message } = await this.#messages.shared.visibleMessage(userId, messageId);
      if (message.recalled)
        throw new AppError(ErrorCode.MESSAGE_RECALLED, { detail: `message ${messageId}` });
      if (message.senderId === SYSTEM_SENDER || message.contentType === 'system')
        throw new AppError(ErrorCode.MESSAGE_NOT_FORWARDABLE, { detail: `${messageId} is a system message` });
      if (await this.#timers.isTimed(message.senderId, message.clientMsgId))
        throw new AppError(ErrorCode.MESSAGE_NOT_FORWARDABLE, { detail: `${messageId} self-destructs` });
      sources.push(message);
    }
    return sources.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.seq - b.seq);
  }

  /** One `merged` message listing the sources, as clients build merged forwards themselves. */
  async #merged(sources: StoredMessage[], title: string | undefined) {
    const senders = await this.#profiles.get([...new Set(sources.map((m) => m.senderId))]);
    const names = [...new Set(sources.map((m) => senders.get(m.senderId)?.nickname ?? m.senderId))];
    return {
      contentType: 'merged',
      content: {
        title: title ?? `Chat history of ${names.slice(0, 3).join(', ')}`.slice(0, 100),
        items: sources.map((m) => ({
          messageId: m.messageId,
          senderId: m.senderId,
          senderName: (senders.get(m.senderId)?.nickname ?? m.senderId).slice(0, 64),
          contentType: m.contentType,
          preview: previewOf(m.contentType, m.content).slice(0, 500),
          timestamp: m.createdAt.getTime(),
        })),
      },
    };
  }
}

/**
 * What a forwarded message sends: media by its file (shared again under the forwarder's access),
 * a quote as its own text (the quoted message belongs to the other conversation), the rest as is.
 */
function resend(message: StoredMessage): { contentType: string; content: unknown } {
  const content = message.content as Record<string, unknown>;
  if (FILE_TYPES.has(message.contentType) && typeof content.fileId === 'string')
    return { contentType: message.contentType, content: { fileId: content.fileId } };
  if (message.contentType === 'quote') return { contentType: 'text', content: content.text };
  return { contentType: message.contentType, content: message.content };
}

/** A clientMsgId per (request, message, target): within the 64 characters and the alphabet allowed. */
function derivedClientMsgId(clientMsgId: string, index: number, target: ForwardTarget): string {
  const digest = createHash('sha256')
    .update(`${clientMsgId}|${index}|${target.sessionType}|${target.targetId}`)
    .digest('base64url');
  return `fw.${digest.slice(0, 40)}`;
}
