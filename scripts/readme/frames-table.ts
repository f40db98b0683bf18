/**
 * The README's table of WebSocket frames, rendered from the gateway's frame schemas
 * (services/gateway/protocol/). `node scripts/readme/write-frames.ts` rewrites it between its
 * markers, and test/unit/gateway-frames.test.ts fails when it is stale.
 */
import { z } from 'zod';
import { ClientFrame, ServerFrameSchema } from '../../services/gateway/protocol/index.ts';
import { GeneratedTable } from './generated-table.ts';

/** `{sessionType: single|group, targetId, mentions?}`: the documented fields of a frame's data. */
function fieldsOf(data: z.ZodType | undefined): string {
  if (!(data instanceof z.ZodObject)) return '—';
  const fields = Object.entries(data.shape as Record<string, z.ZodType>)
    .filter(([, field]) => !field.meta()?.deprecated)
    .map(([name, field]) => {
      const optional = field instanceof z.ZodOptional;
      const inner = optional ? (field as z.ZodOptional).unwrap() : field;
      const values = inner instanceof z.ZodEnum ? `: ${(inner.options as string[]).join('|')}` : '';
      return `${name}${optional ? '?' : ''}${values}`;
    });
  return `\`{${fields.join(', ')}}\``;
}

function rowsOf(direction: string, schemas: readonly z.ZodObject[]): string[][] {
  return schemas.map((schema) => [
    direction,
    `\`${(schema.shape.type as z.ZodLiteral<string>).value}\``,
    fieldsOf(schema.shape.data as z.ZodType | undefined),
    (schema.meta() as { description?: string } | undefined)?.description ?? '',
  ]);
}

export const framesTable = new GeneratedTable({
  begin:
    '<!-- ws-frames:begin — generated from services/gateway/protocol/ by scripts/readme/write-frames.ts -->',
  end: '<!-- ws-frames:end -->',
  header: ['', 'frame', '`data`', 'meaning'],
  rows: () => [...rowsOf('→', ClientFrame.options), ...rowsOf('←', ServerFrameSchema.options)],
});
