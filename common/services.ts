/**
 * The platform's services by name, in start order (auth first: the others verify tokens with its
 * keys). Each is a Dapr app-id, a Deployment of the operator and a `SERVICES` value; services/registry.ts
 * holds their modules and a test keeps the two lists equal.
 */
export const SERVICE_NAMES = [
  'auth',
  'user',
  'friend',
  'group',
  'session',
  'file',
  'message',
  'admin',
  'push',
  'rtc',
  'gateway',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
