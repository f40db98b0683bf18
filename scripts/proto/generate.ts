/**
 * Regenerates the TypeScript of proto/ (messages, enums and service descriptors, protobuf-es) into
 * services/platform/contracts/gen/. Run after changing a .proto file: `npm run proto:generate`.
 * `npm run check` fails while the generated code is stale (scripts/proto/check.ts).
 */
import { buf } from './buf.ts';

buf(['generate']);
console.log('generated services/platform/contracts/gen/ from proto/');
