import { z } from 'zod';
import { selfDestructFields, timerRule } from '../platform/contracts/self-destruct.ts';
import { schemas } from '../platform/validation.ts';
import { clientMsgId, SendAckDto, SendBody, sessionId } from './schemas.ts';

const sessionType = z.enum(['single', 'group']);
const millis = z.number().int();

export const ForwardBody = z.object({
  clientMsgId: clientMsgId.describe('this request: a retry with the same id sends nothing twice'),
  messageIds: z.array(schemas.id).min(1).max(50).describe('messages I can see, sent again in their order'),
  targets: z
    .array(z.object({ sessionType, targetId: schemas.id }))
    .min(1)
    .max(10),
  mode: z
    .enum(['separate', 'merged'])
    .default('separate')
    .describe('separate: each message as it is (files by reference); merged: one chat-history message'),
  title: schemas.text(100).min(1).optional().describe('merged: its title'),
});
export const ForwardDto = z.object({
  results: z.array(
    z.object({
      sessionType,
      targetId: z.string(),
      messages: z.array(SendAckDto),
      error: z
        .object({ code: z.number().int(), message: z.string() })
        .optional()
        .describe('why this target got nothing (the others are unaffected)'),
    }),
  ),
});

export const SelfDestructBody = SendBody.extend(selfDestructFields).refine(...timerRule);

export const ScheduleBody = SendBody.extend({
  sendAt: z
    .union([z.number().int().min(0), z.iso.datetime()])
    .transform((v) => new Date(v))
    .pipe(schemas.storableDate)
    .describe('when to send it: milliseconds since the epoch or an ISO date-time'),
});
export const ScheduledDto = z.object({
  scheduleId: z.string(),
  sessionType,
  targetId: z.string(),
  contentType: z.string(),
  content: z.unknown(),
  mentions: z.array(z.string()),
  mentionAll: z.boolean(),
  sendAt: millis,
  status: z.enum(['pending', 'sending', 'sent', 'cancelled', 'failed']),
  messageId: z.string().nullable().describe('once sent'),
  errorCode: z.number().int().nullable().describe('once failed: why the send was refused'),
  createdAt: millis,
});
export const ScheduledQuery = z.object({
  status: z
    .enum(['pending', 'sent', 'cancelled', 'failed', 'all'])
    .default('pending')
    .describe('pending includes those being sent now'),
  limit: z.coerce.number().int().min(1).max(200).default(100),
});
export const ScheduleIdParams = z.object({ id: schemas.id });

export const DraftParams = z.object({ sessionId });
export const DraftBody = (maxTextLength: number) =>
  z.object({
    text: schemas.body(maxTextLength * 4).refine((text) => [...text].length <= maxTextLength, {
      message: `at most ${maxTextLength} characters`,
    }),
    quoteMessageId: schemas.id.optional().describe('the message the draft replies to'),
  });
export const DraftDto = z.object({
  sessionId: z.string(),
  text: z.string(),
  quoteMessageId: z.string().nullable(),
  updatedAt: millis,
});

export const LinkPreviewQuery = z.object({ url: schemas.text(2048).min(1) });
export const LinkPreviewDto = z.object({
  url: z.string().describe('the page described (after redirects)'),
  title: z.string().nullable(),
  description: z.string().nullable(),
  image: z.string().nullable().describe('an absolute http(s) URL; not fetched by the server'),
  siteName: z.string().nullable(),
});
