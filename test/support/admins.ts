import { createAdminAccount } from '../../services/admin/index.ts';
import type { TestPlatform } from './platform.ts';

export const ADMIN_PASSWORD = 'correct horse battery';

/** Creates an administrator with a built-in role (as `imctl admin create` does) and signs it in. */
export async function signedInAdmin(
  platform: TestPlatform,
  username: string,
  role: 'superadmin' | 'operator' | 'auditor',
): Promise<string> {
  await createAdminAccount(platform.host.databaseUrl, { username, password: ADMIN_PASSWORD, role });
  const { token } = await platform.api.ok<{ token: string }>('POST', '/api/v1/admin/auth/login', {
    body: { username, password: ADMIN_PASSWORD },
  });
  return token;
}
