import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { SqlExecutor } from '../../platform/db/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { AdminPrincipal, SignInThrottle } from '../../platform/security/index.ts';
import type { AdminSecondFactor } from './admin-second-factor.ts';
import type { Actor, AuditLog } from './audit-log.ts';
import { isoOf, isoOrNull } from './timestamps.ts';

export interface AdminAccount {
  adminId: string;
  username: string;
  email: string | null;
  role: string;
  permissions: string[];
  createdAt: string;
  lastLoginAt: string | null;
}

export interface AdminLogin {
  token: string;
  expiresAt: string;
  admin: AdminAccount;
  /** Only when this login enrolled the second factor: the one-time recovery codes, shown once. */
  recoveryCodes?: string[];
}

export interface NewAdmin {
  username: string;
  password: string;
  role: string;
  email?: string | undefined;
}

const TOKEN_PREFIX = 'ima_';
const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');
const ACTIVE = 1;

/** Compared against when the username is unknown, so a login takes as long either way. */
const DUMMY_HASH = hash('not-a-real-password-but-same-cost');

interface AdminRow {
  admin_id: string;
  username: string;
  email: string | null;
  role: string;
  permissions: string[];
  created_at: string;
  last_login_at: string | null;
  password_hash: string;
  status: number;
}

const ADMIN_COLUMNS = `a.admin_id::text, a.username, a.email, r.name as role, a.created_at, a.last_login_at,
    a.password_hash, a.status,
    coalesce(array(select p.permission from "admin"."admin_role_permissions" p where p.role_id = a.role_id order by 1), '{}') as permissions`;
const ADMIN_FROM = 'from "admin"."admin_users" a join "admin"."admin_roles" r on r.role_id = a.role_id';
const SELECT_ADMIN = `select ${ADMIN_COLUMNS} ${ADMIN_FROM}`;

function accountOf(row: AdminRow): AdminAccount {
  return {
    adminId: row.admin_id,
    username: row.username,
    email: row.email,
    role: row.role,
    permissions: row.permissions,
    createdAt: isoOf(row.created_at),
    lastLoginAt: isoOrNull(row.last_login_at),
  };
}

/**
 * Platform administrators: accounts, roles, and opaque admin tokens. Admin tokens are not JWTs of
 * the chat audience, so chat routes refuse them, and chat access tokens are unknown here.
 */
export class AdminAccounts {
  readonly #sql: SqlExecutor;
  readonly #ids: SnowflakeGenerator;
  readonly #audit: AuditLog;
  readonly #tokenTtlSeconds: number;
  readonly #signIn: { throttle: SignInThrottle; secondFactor: AdminSecondFactor } | undefined;

  /** Without a throttle (creating the first administrator from the command line) nobody can sign in. */
  constructor(
    sql: SqlExecutor,
    ids: SnowflakeGenerator,
    audit: AuditLog,
    tokenTtlSeconds: number,
    signIn?: { throttle: SignInThrottle; secondFactor: AdminSecondFactor },
  ) {
    this.#sql = sql;
    this.#ids = ids;
    this.#audit = audit;
    this.#tokenTtlSeconds = tokenTtlSeconds;
    this.#signIn = signIn;
  }

  /** Creates an administrator (audited as `by`'s action). */
  async create(by: Actor, input: NewAdmin): Promise<AdminAccount> {
    const created = await this.#insert(input);
    await this.#audit.record(by, {
      action: 'admin.create',
      resourceType: 'admin',
      resourceId: created.adminId,
      details: { username: created.username, role: created.role },
    });
    return created;
  }

  async #insert(input: NewAdmin): Promise<AdminAccount> {
    const [role] = await this.#sql.query<{ role_id: string }>(
      'select role_id::text from "admin"."admin_roles" where name = ?',
      [input.role],
    );
    if (!role) throw new AppError(ErrorCode.ADMIN_ROLE_NOT_FOUND, { detail: `no role named ${input.role}` });
    const adminId = this.#ids.next();
    const now = new Date();
    const inserted = await this.#sql.query(
      `insert into "admin"."admin_users" (admin_id, username, password_hash, email, role_id, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ?) on conflict (username) do nothing returning admin_id`,
      [adminId, input.username, await hash(input.password), input.email ?? null, role.role_id, now, now],
    );
    if (inserted.length === 0) {
      throw new AppError(ErrorCode.CONFLICT, { detail: `an administrator named ${input.username} exists` });
    }
    return (await this.#find('a.admin_id = ?', [adminId]))!;
  }

  /** Every administrator, and the roles there are to give. */
  async directory() {
    const [admins, roles] = await Promise.all([
      this.#sql.query<AdminRow>(`${SELECT_ADMIN} order by a.created_at`),
      this.#roles(),
    ]);
    return { items: admins.map(accountOf), roles };
  }

  #roles(): Promise<Array<{ name: string; description: string; permissions: string[] }>> {
    return this.#sql.query(
      `select r.name, r.description,
        coalesce(array(select p.permission from "admin"."admin_role_permissions" p where p.role_id = r.role_id order by 1), '{}') as permissions
       from "admin"."admin_roles" r order by r.role_id`,
    );
  }

  /**
   * Checks the password (same cost whether or not the name exists) and opens an admin session.
   * Every attempt is counted by the throttle before the password is checked (per name and address,
   * per address, per name from everywhere; see SignInThrottle) and audited, failed ones with the
   * name that was tried.
   */
  async login(
    credentials: { username: string; password: string; otp?: string | undefined },
    client: { ip: string; userAgent?: string | undefined },
  ): Promise<AdminLogin> {
    const { username } = credentials;
    const details = { userAgent: client.userAgent ?? null };
    try {
      const login = await this.#login(credentials, client.ip);
      await this.#audit.record(
        { type: 'admin', id: login.admin.adminId, name: login.admin.username, ip: client.ip },
        { action: 'admin.login', details },
      );
      return login;
    } catch (error) {
      if (error instanceof AppError) {
        await this.#audit.record(
          { type: 'admin', name: username, ip: client.ip },
          { action: 'admin.login.failed', details: { ...details, code: error.code } },
        );
      }
      throw error;
    }
  }

  async #login(
    credentials: { username: string; password: string; otp?: string | undefined },
    ip: string,
  ): Promise<AdminLogin> {
    if (!this.#signIn) throw new Error('admin logins need a throttle');
    const { username, password } = credentials;
    const [row] = await this.#sql.query<AdminRow>(`${SELECT_ADMIN} where a.username = ?`, [username]);
    const ticket = await this.#signIn.throttle.begin({
      account: row ? `admin:${row.admin_id}` : `name:${tokenHash(username)}`,
      address: ip,
    });
    const matches = await verify(row?.password_hash ?? (await DUMMY_HASH), password);
    if (!row || !matches) throw new AppError(ErrorCode.ADMIN_WRONG_PASSWORD);
    if (row.status !== ACTIVE) throw new AppError(ErrorCode.ACCOUNT_DISABLED);
    // Only the second factor passed ends the attempt: wrong codes are counted as failed logins.
    const factor = await this.#signIn.secondFactor.verify(
      { adminId: row.admin_id, username: row.username },
      credentials.otp,
    );
    await ticket.succeeded();
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.#tokenTtlSeconds * 1000);
    await this.#sql.transaction(async (tx) => {
      await tx.query(
        `insert into "admin"."admin_sessions" (token_hash, admin_id, created_at, expires_at, ip) values (?, ?, ?, ?, ?)`,
        [tokenHash(token), row.admin_id, now, expiresAt, ip.slice(0, 50)],
      );
      await tx.query('update "admin"."admin_users" set last_login_at = ? where admin_id = ?', [
        now,
        row.admin_id,
      ]);
    });
    return {
      token,
      expiresAt: expiresAt.toISOString(),
      admin: accountOf({ ...row, last_login_at: now.toISOString() }),
      ...factor,
    };
  }

  async logout(principal: AdminPrincipal, ip: string): Promise<void> {
    await this.#sql.query(
      'update "admin"."admin_sessions" set revoked_at = now() where token_hash = ? and revoked_at is null',
      [principal.sessionId],
    );
    await this.#audit.record(
      { type: 'admin', id: principal.adminId, name: principal.username, ip },
      { action: 'admin.logout' },
    );
  }

  /** Resolves an admin token to its admin; the session id is the token's hash (never the token). */
  async authenticate(token: string): Promise<AdminPrincipal> {
    if (!token.startsWith(TOKEN_PREFIX)) {
      throw new AppError(ErrorCode.TOKEN_INVALID, { detail: 'not an admin token: run imctl login' });
    }
    const sessionId = tokenHash(token);
    const [row] = await this.#sql.query<AdminRow & { expires_at: string; revoked_at: string | null }>(
      `select ${ADMIN_COLUMNS}, s.expires_at, s.revoked_at ${ADMIN_FROM}
       join "admin"."admin_sessions" s on s.admin_id = a.admin_id where s.token_hash = ?`,
      [sessionId],
    );
    if (!row || row.revoked_at || row.status !== ACTIVE) throw new AppError(ErrorCode.TOKEN_INVALID);
    if (Date.parse(row.expires_at) <= Date.now()) throw new AppError(ErrorCode.TOKEN_EXPIRED);
    return {
      adminId: row.admin_id,
      username: row.username,
      role: row.role,
      permissions: row.permissions,
      sessionId,
    };
  }

  async get(adminId: string): Promise<AdminAccount> {
    const found = await this.#find('a.admin_id = ?', [adminId]);
    if (!found) throw new AppError(ErrorCode.ADMIN_NOT_FOUND);
    return found;
  }

  async #find(where: string, params: unknown[]): Promise<AdminAccount | undefined> {
    const [row] = await this.#sql.query<AdminRow>(`${SELECT_ADMIN} where ${where}`, params);
    return row ? accountOf(row) : undefined;
  }
}
