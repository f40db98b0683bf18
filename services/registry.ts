import { adminService } from './admin/index.ts';
import { authService } from './auth/index.ts';
import { fileService } from './file/index.ts';
import { friendService } from './friend/index.ts';
import { gatewayService } from './gateway/index.ts';
import { groupService } from './group/index.ts';
import { messageService } from './message/index.ts';
import { Migration20261122000000_state_entries } from './platform/db/migrations/Migration20261122000000_state_entries.ts';
import { Migration20261130000000_dapr_metadata } from './platform/db/migrations/Migration20261130000000_dapr_metadata.ts';
import type { ServiceModule } from './platform/service.ts';
import { pushService } from './push/index.ts';
import { rtcService } from './rtc/index.ts';
import { sessionService } from './session/index.ts';
import { userService } from './user/index.ts';

/** Every service, in start order (auth first: the others verify tokens with its keys). */
export const SERVICES: ServiceModule[] = [
  authService,
  userService,
  friendService,
  groupService,
  sessionService,
  fileService,
  messageService,
  adminService,
  pushService,
  rtcService,
  gatewayService,
];

/** Tables of the platform itself (the embedded state store); no routes. */
export const PLATFORM_SCHEMA = {
  schema: 'platform',
  migrations: [
    { name: 'Migration20261122000000_state_entries', class: Migration20261122000000_state_entries },
    { name: 'Migration20261130000000_dapr_metadata', class: Migration20261130000000_dapr_metadata },
  ],
};

export function selectServices(selection: 'all' | string[]): ServiceModule[] {
  if (selection === 'all') return SERVICES;
  const unknown = selection.filter((name) => !SERVICES.some((service) => service.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `unknown service(s): ${unknown.join(', ')}; known: ${SERVICES.map((s) => s.name).join(', ')}`,
    );
  }
  return SERVICES.filter((service) => selection.includes(service.name));
}
