/**
 * The platform's entry points and what they read and print: how imctl and the operator run the
 * services' code (migrations, the first admin) without importing it. Each runs as `node <path>`
 * from the repository root, the image's working directory.
 */
export const ENTRY_POINTS = {
  /** Every service in one process (embedded) or those of `SERVICES` (cluster). */
  platform: 'services/main.ts',
  /** Applies the migrations of `SERVICES` to `DATABASE_URL`; one result line per schema. */
  migrate: 'services/migrate.ts',
  /** Creates an admin in `DATABASE_URL` from a FirstAdminRequest on stdin; a FirstAdminOutcome on stdout. */
  createAdmin: 'services/create-admin.ts',
} as const;

export interface MigrationResult {
  schema: string;
  /** Migrations applied by this run, in order; none when the schema was up to date. */
  applied: string[];
}

/** `<schema>: up to date` or `<schema>: applied A, B`, as the migrate entry point prints them. */
export function migrationResultLine({ schema, applied }: MigrationResult): string {
  return `${schema}: ${applied.length === 0 ? 'up to date' : `applied ${applied.join(', ')}`}`;
}

const RESULT_LINE = /^([\w-]+): (?:up to date|applied (.+))$/;

/** The result a line of the migrate entry point reports, or undefined for any other line. */
export function parseMigrationResultLine(line: string): MigrationResult | undefined {
  const match = RESULT_LINE.exec(line);
  return match ? { schema: match[1]!, applied: match[2] ? match[2].split(', ') : [] } : undefined;
}

/**
 * The first admin: no admin exists yet to call the API and there is no default password, so it is
 * written straight to the database (`imctl admin create --database-url …`).
 */
export interface FirstAdminRequest {
  username: string;
  password: string;
  role: string;
  email?: string;
}

export interface CreatedAdmin {
  adminId: string;
  username: string;
  role: string;
}

/** One JSON line on the entry point's stdout: created, refused input (one line per issue), or a failure. */
export type FirstAdminOutcome =
  | { created: CreatedAdmin }
  | { invalid: string[] }
  | { failed: { message: string; code?: string } };
