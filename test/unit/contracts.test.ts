/**
 * The service contracts' two schemas agree: every method a service serves has an input schema
 * (zod: caps, id formats, text rules) that reads exactly the fields of the proto message the
 * method receives, with matching kinds (list, string, number, boolean) and optionality (a field the
 * proto may leave unset is optional in the schema). The type checker already refuses a schema that
 * names a field the message lacks; this catches the rest: a proto field nobody validates (the
 * schema would strip it silently) and kind or optionality drift.
 */
import type { DescField, DescMethod, DescService } from '@bufbuild/protobuf';
import { ScalarType } from '@bufbuild/protobuf';
import { expect } from 'chai';
import { z } from 'zod';
import { BotInputs } from '../../services/auth/bot-internal.ts';
import { AccountDeletionInputs, AuthAdminInputs, AuthInputs } from '../../services/auth/internal.ts';
import { FileExportInputs } from '../../services/file/export-internal.ts';
import { FileAdminInputs, FileInputs } from '../../services/file/internal.ts';
import { FriendInputs } from '../../services/friend/internal.ts';
import { GroupExportInputs } from '../../services/group/export-internal.ts';
import { GroupAdminInputs, GroupInputs } from '../../services/group/internal.ts';
import { MessageAdminInputs, MessageInputs } from '../../services/message/internal.ts';
import { AccountDeletionService } from '../../services/platform/contracts/gen/anychat/auth/v1/account_deletion_pb.ts';
import {
  AuthAdminService,
  AuthService,
} from '../../services/platform/contracts/gen/anychat/auth/v1/auth_pb.ts';
import { BotService } from '../../services/platform/contracts/gen/anychat/auth/v1/bots_pb.ts';
import { FileExportService } from '../../services/platform/contracts/gen/anychat/file/v1/export_pb.ts';
import {
  FileAdminService,
  FileService,
} from '../../services/platform/contracts/gen/anychat/file/v1/file_pb.ts';
import { FriendService } from '../../services/platform/contracts/gen/anychat/friend/v1/friend_pb.ts';
import { GroupExportService } from '../../services/platform/contracts/gen/anychat/group/v1/export_pb.ts';
import {
  GroupAdminService,
  GroupService,
} from '../../services/platform/contracts/gen/anychat/group/v1/group_pb.ts';
import {
  MessageAdminService,
  MessageService,
} from '../../services/platform/contracts/gen/anychat/message/v1/message_pb.ts';
import { RtcAdminService, RtcService } from '../../services/platform/contracts/gen/anychat/rtc/v1/rtc_pb.ts';
import { SessionService } from '../../services/platform/contracts/gen/anychat/session/v1/session_pb.ts';
import { UserService } from '../../services/platform/contracts/gen/anychat/user/v1/user_pb.ts';
import { appIdOf } from '../../services/platform/ports/index.ts';
import { RtcAdminInputs, RtcInputs } from '../../services/rtc/internal.ts';
import { SessionInputs } from '../../services/session/internal.ts';
import { UserInputs } from '../../services/user/internal.ts';

/** Every contract service a service serves, with the input rules it serves it under. */
const SERVED: Array<[DescService, Record<string, z.ZodType>]> = [
  [AuthService, AuthInputs],
  [AuthAdminService, AuthAdminInputs],
  [BotService, BotInputs],
  [AccountDeletionService, AccountDeletionInputs],
  [GroupExportService, GroupExportInputs],
  [FileExportService, FileExportInputs],
  [UserService, UserInputs],
  [FriendService, FriendInputs],
  [GroupService, GroupInputs],
  [GroupAdminService, GroupAdminInputs],
  [MessageService, MessageInputs],
  [MessageAdminService, MessageAdminInputs],
  [SessionService, SessionInputs],
  [FileService, FileInputs],
  [FileAdminService, FileAdminInputs],
  [RtcService, RtcInputs],
  [RtcAdminService, RtcAdminInputs],
];

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
}

/** The JSON Schema types a proto field's value may take in the schema's input (none: anything). */
function expectedTypes(field: DescField): string[] {
  if (field.fieldKind === 'list') return ['array'];
  if (field.fieldKind === 'map' || field.fieldKind === 'message') return ['object'];
  if (field.fieldKind === 'enum') return ['integer', 'number'];
  switch (field.scalar) {
    case ScalarType.STRING:
      return ['string'];
    case ScalarType.BOOL:
      return ['boolean'];
    case ScalarType.BYTES:
      return ['string'];
    default:
      return ['integer', 'number'];
  }
}

/** The types a schema's property admits; empty when it admits anything (bigint, custom). */
function typesOf(schema: JsonSchema): string[] {
  if (schema.anyOf) return schema.anyOf.flatMap(typesOf);
  if (schema.type === undefined) return [];
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}

const optionalInProto = (field: DescField) =>
  field.fieldKind === 'message' || (field.fieldKind === 'scalar' && field.proto.proto3Optional === true);

/** Where an input schema and the proto message its method receives disagree (none: they agree). */
function disagreements(method: DescMethod, schema: z.ZodType): string[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const properties = json.properties ?? {};
  const read = Object.keys(properties).sort();
  const fields = method.input.fields.map((field) => field.localName).sort();
  if (read.join() !== fields.join())
    return [`reads ${read.join(', ')}; the message has ${fields.join(', ')}`];
  const required = new Set(json.required ?? []);
  const problems: string[] = [];
  for (const field of method.input.fields) {
    if (optionalInProto(field) && required.has(field.localName))
      problems.push(`${field.localName} may be unset but is required`);
    const admitted = typesOf(properties[field.localName]!);
    if (admitted.length > 0 && !admitted.some((type) => expectedTypes(field).includes(type)))
      problems.push(`${field.localName}: ${admitted.join('|')} for a proto ${field.fieldKind}`);
  }
  return problems;
}

describe('service contracts: input schemas agree with the proto messages', () => {
  it('covers every contract service of every app', () => {
    expect(new Set(SERVED.map(([service]) => appIdOf(service)))).to.deep.equal(
      new Set(['auth', 'user', 'friend', 'group', 'message', 'session', 'file', 'rtc']),
    );
  });

  it('tells a field left out, a kind that differs and an optional field required', () => {
    const method = AuthAdminService.method.listAccounts;
    const missing = z.object({
      keyword: z.string().optional(),
      state: z.string().optional(),
      offset: z.number(),
    });
    expect(disagreements(method, missing)).to.have.length(1);
    const wrongKind = z.object({
      keyword: z.number().optional(),
      state: z.string().optional(),
      offset: z.number().optional(),
      limit: z.number().optional(),
    });
    expect(disagreements(method, wrongKind)).to.deep.equal(['keyword: number for a proto scalar']);
    const required = wrongKind.extend({ keyword: z.string(), limit: z.number() });
    expect(disagreements(method, required)).to.deep.equal([
      'keyword may be unset but is required',
      'limit may be unset but is required',
    ]);
  });

  for (const [service, inputs] of SERVED) {
    for (const method of service.methods) {
      it(`${service.typeName}/${method.name}`, () => {
        const schema = inputs[method.localName];
        expect(schema, 'an input schema').to.not.equal(undefined);
        expect(disagreements(method, schema!)).to.deep.equal([]);
      });
    }
  }
});
