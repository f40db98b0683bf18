import type { Config } from '../../platform/config.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { SensitiveWords } from '../../platform/moderation/index.ts';
import type { Outbox } from '../../platform/outbox.ts';
import type { StateStore } from '../../platform/ports/index.ts';
import type { PeopleClient } from '../clients/directory.ts';
import type { GroupStore } from '../store/index.ts';
import { GroupChanges } from './changes.ts';
import { GroupDirectory } from './group-directory.ts';
import { Groups } from './groups.ts';
import { GroupInvitations } from './invitations.ts';
import { Joining } from './joining.ts';
import { Members } from './members.ts';
import { Mutes } from './mutes.ts';
import { Ownership } from './ownership.ts';
import { QrCodes } from './qr-codes.ts';

export type { AddFailure } from './admission.ts';
export { GroupEvents } from './events.ts';
export type { GroupDirectory } from './group-directory.ts';
export type { Groups } from './groups.ts';
export type { GroupInvitations, InvitationView } from './invitations.ts';
export type { Joining } from './joining.ts';
export type { Members } from './members.ts';
export type { Mutes } from './mutes.ts';
export type { Ownership } from './ownership.ts';
export type { QrCode, QrCodes } from './qr-codes.ts';
export * from './types.ts';

export interface GroupDomainDeps {
  store: GroupStore;
  outbox: Outbox;
  people: PeopleClient;
  ids: SnowflakeGenerator;
  /** This service's state store (QR codes). */
  state: StateStore;
  limits: Config['group'];
  publicUrl: () => string;
  /** The administrator's forbidden words: group names and announcements holding one are refused. */
  words: SensitiveWords;
  /** MESSAGE_ALLOW_STRANGERS: whether a stranger may be put into a group without accepting an invitation. */
  allowStrangers: boolean;
  /** The URL of a group avatar set from an upload (avatarUrlOf). */
  avatarUrl: (userId: string, fileId: string, groupId: string) => Promise<string>;
}

/** The group service's parts, each one concern, sharing one way of changing a group (GroupChanges). */
export interface GroupDomain {
  groups: Groups;
  members: Members;
  ownership: Ownership;
  mutes: Mutes;
  joining: Joining;
  invitations: GroupInvitations;
  qrCodes: QrCodes;
  directory: GroupDirectory;
}

export function createGroupDomain(deps: GroupDomainDeps): GroupDomain {
  const { store } = deps;
  const changes = new GroupChanges(deps);
  const invitations = new GroupInvitations({
    store,
    changes,
    ttlSeconds: deps.limits.invitationTtlSeconds,
  });
  const joining = new Joining(store, changes);
  return {
    groups: new Groups({ store, changes, invitations, words: deps.words, avatarUrl: deps.avatarUrl }),
    members: new Members({ store, changes, invitations }),
    ownership: new Ownership(changes),
    mutes: new Mutes(changes),
    joining,
    invitations,
    qrCodes: new QrCodes({
      changes,
      joining,
      state: deps.state,
      limits: deps.limits,
      publicUrl: deps.publicUrl,
    }),
    directory: new GroupDirectory(store),
  };
}
