/** Every permission an admin role can grant; routes name the one they need. */
export const PERMISSIONS = {
  'users:read': 'List and inspect chat users',
  'users:write': 'Ban, unban, sign out and delete chat users',
  'groups:read': 'List and inspect groups',
  'groups:write': 'Dismiss groups and remove members',
  'messages:read': 'Read conversation history for moderation',
  'messages:write': 'Recall any message',
  'broadcasts:write': 'Send announcements and maintenance notices to every user',
  'meetings:write': 'End any meeting for everyone',
  'stats:read': 'Read platform statistics',
  'audit:read': 'Query the audit log',
  'config:read': 'Read system configuration and the sensitive-word filter',
  'config:write': 'Change system configuration and the sensitive-word filter',
  'admins:read': 'List administrators',
  'admins:write': 'Create administrators',
} as const;

export type Permission = keyof typeof PERMISSIONS;

const ALL = Object.keys(PERMISSIONS) as Permission[];

/**
 * Roles the migration creates (fixed ids). `operator` runs the platform day to day but cannot
 * create admins or change configuration; `auditor` only reads.
 */
export const BUILT_IN_ROLES: ReadonlyArray<{
  roleId: number;
  name: string;
  description: string;
  permissions: readonly Permission[];
}> = [
  { roleId: 1, name: 'superadmin', description: 'Everything', permissions: ALL },
  {
    roleId: 2,
    name: 'operator',
    description: 'Moderation, broadcasts, statistics and audit',
    permissions: ALL.filter((p) => !p.startsWith('admins:') && p !== 'config:write'),
  },
  {
    roleId: 3,
    name: 'auditor',
    description: 'Read-only access',
    permissions: ALL.filter((p) => p.endsWith(':read')),
  },
];
