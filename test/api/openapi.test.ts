/**
 * The served OpenAPI document is read by standard tools as it is: Redocly lints it with its
 * recommended rules, openapi-typescript generates a client's types from it, tsc compiles a small
 * client (test/openapi-client/usage.ts) against those types, and that client then talks to the
 * platform with openapi-fetch. A document that a generator cannot read fails here.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { ErrorCode } from '../../services/platform/errors.ts';
import { uniqueAccount } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const tool = (path: string) => join(repo, 'node_modules', path);

/**
 * Warnings of the recommended rules the document keeps, and why. no-ambiguous-paths: the REST paths
 * (`/friends/requests/{id}` beside `/friends/{id}/remark`, `/groups/qrcode/{code}` beside
 * `/groups/{id}/members`) are the API's published paths; ids are numeric, so a literal segment never
 * reads as one.
 */
const ACCEPTED_WARNINGS = new Set(['no-ambiguous-paths']);

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: Array<{ ruleId: string; severity: 'error' | 'warn'; message: string }>;
}

/** `redocly lint` with the recommended rules, as JSON; it exits non-zero when it finds errors. */
async function lint(file: string): Promise<LintReport> {
  const args = [tool('@redocly/cli/bin/cli.js'), 'lint', '--extends=recommended', '--format=json', file];
  // No usage reports or update checks: the test runs offline.
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
  const output = await run(process.execPath, args, { env, maxBuffer: 64 * 1024 * 1024 }).catch(
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
  );
  return JSON.parse(output.stdout) as LintReport;
}

/** The parts of the document this suite reads itself. */
interface ServedDocument {
  servers?: unknown[];
  paths: Record<string, Record<string, { security?: unknown }>>;
}

/** What test/openapi-client/usage.ts exports. */
interface TypedClient {
  walkthrough(
    baseUrl: string,
    account: string,
    password: string,
  ): Promise<{
    userId: string;
    nickname: string;
    nicknameById: string;
    foundUserIds: string[];
    wrongPassword: { status: number; code: number | undefined };
  }>;
}

describe('the served OpenAPI document', function () {
  this.timeout(120_000);
  let platform: TestPlatform;
  let work: string;
  let document: ServedDocument;

  before(async function () {
    await requirePostgres(this);
    platform = await startPlatform('postgresql');
    // The client's folder resolves openapi-fetch and @types/node through the project's packages.
    work = mkdtempSync(join(tmpdir(), 'anychat-openapi-'));
    symlinkSync(join(repo, 'node_modules'), join(work, 'node_modules'));
    const response = await fetch(`${platform.host.url}/api/v1/openapi.json`);
    expect(response.status).to.equal(200);
    document = (await response.json()) as ServedDocument;
    writeFileSync(join(work, 'openapi.json'), JSON.stringify(document, null, 2));
  });

  after(async () => {
    await platform?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('passes redocly lint with the recommended rules: no errors, only the warnings accepted above', async () => {
    const report = await lint(join(work, 'openapi.json'));
    const errors = report.problems
      .filter((p) => p.severity === 'error')
      .map((p) => `${p.ruleId}: ${p.message}`);
    expect(errors).to.deep.equal([]);
    expect(report.totals.errors).to.equal(0);
    const unexpected = report.problems.filter((p) => !ACCEPTED_WARNINGS.has(p.ruleId));
    expect(unexpected.map((p) => `${p.ruleId}: ${p.message}`)).to.deep.equal([]);
  });

  it('declares security on every operation: none on public routes, the user or admin scheme on the others', () => {
    const undeclared: string[] = [];
    for (const [path, methods] of Object.entries(document.paths))
      for (const [method, operation] of Object.entries(methods))
        if (!Array.isArray(operation.security)) undeclared.push(`${method.toUpperCase()} ${path}`);
    expect(undeclared).to.deep.equal([]);
    const login = document.paths['/api/v1/auth/login']?.post;
    expect(login?.security).to.deep.equal([]);
    expect(document.paths['/api/v1/users/me']?.get?.security).to.deep.equal([{ bearerAuth: [] }]);
    expect(document.servers).to.have.length.greaterThan(0);
  });

  it('generates a typed client that compiles and calls the platform: register, login, profile, search, an error', async () => {
    const types = astToString(await openapiTS(document as unknown as OpenAPI3));
    writeFileSync(join(work, 'api.ts'), types);
    copyFileSync(join(repo, 'test/openapi-client/usage.ts'), join(work, 'usage.ts'));
    writeFileSync(join(work, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(
      join(work, 'tsconfig.json'),
      JSON.stringify({
        extends: join(repo, 'tsconfig.json'),
        compilerOptions: { types: ['node'] },
        include: ['usage.ts', 'api.ts'],
        exclude: [],
      }),
    );
    const diagnostics = await run(process.execPath, [tool('typescript/bin/tsc'), '-p', work]).then(
      () => '',
      (error: { stdout?: string; stderr?: string }) => `${error.stdout}${error.stderr}`,
    );
    expect(diagnostics, 'tsc on the generated types and the client').to.equal('');

    // Loaded by path: the root tsconfig leaves the client out (its types exist only in `work`).
    const client = (await import(pathToFileURL(join(work, 'usage.ts')).href)) as TypedClient;
    const account = uniqueAccount('typed');
    const result = await client.walkthrough(platform.host.url, account, 'passw0rdOK');
    expect(result.userId).to.match(/^[1-9][0-9]+$/);
    expect(result.nickname).to.equal('Typed Client');
    expect(result.nicknameById).to.equal('Typed Client');
    expect(result.foundUserIds).to.include(result.userId);
    expect(result.wrongPassword).to.deep.equal({ status: 401, code: ErrorCode.WRONG_PASSWORD });
  });
});
