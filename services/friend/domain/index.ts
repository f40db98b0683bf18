import type { Config } from '../../platform/config.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Outbox } from '../../platform/outbox.ts';
import type { PresenceRegistry } from '../../platform/presence/index.ts';
import type { GroupClient } from '../clients/groups.ts';
import type { UserClient } from '../clients/users.ts';
import type { FriendStore } from '../store/index.ts';
import { Blacklist } from './blacklist.ts';
import { Categories } from './categories.ts';
import { FriendChanges } from './changes.ts';
import { Discovery } from './discovery.ts';
import { Friendships } from './friendships.ts';
import { Relations } from './relations.ts';
import { FriendRequests } from './requests.ts';

export type { Blacklist } from './blacklist.ts';
export { type Categories, MAX_CATEGORIES } from './categories.ts';
export type { ContactMatch, Discovery, Recommendation } from './discovery.ts';
export { FriendEvents } from './events.ts';
export type { Friendships } from './friendships.ts';
export type { Relations } from './relations.ts';
export type { FriendRequests } from './requests.ts';
export * from './types.ts';

export interface FriendDomainDeps {
  store: FriendStore;
  outbox: Outbox;
  users: UserClient;
  groups: GroupClient;
  ids: SnowflakeGenerator;
  logger: Logger;
  presence: PresenceRegistry;
  limits: Config['friend'];
}

/** The friend service's parts, each one concern, sharing one way of changing (FriendChanges). */
export interface FriendDomain {
  requests: FriendRequests;
  friendships: Friendships;
  categories: Categories;
  blacklist: Blacklist;
  relations: Relations;
  discovery: Discovery;
}

export function createFriendDomain(deps: FriendDomainDeps): FriendDomain {
  const { store } = deps;
  const changes = new FriendChanges(deps);
  return {
    requests: new FriendRequests({ store, changes, users: deps.users, limits: deps.limits }),
    friendships: new Friendships({
      store,
      changes,
      presence: deps.presence,
      users: deps.users,
      logger: deps.logger,
    }),
    categories: new Categories(store, changes),
    blacklist: new Blacklist(store, changes, deps.limits),
    relations: new Relations(store),
    discovery: new Discovery(store, deps.users, deps.groups),
  };
}
