/**
 * The container image without a Docker engine: the Dockerfile is read with a real Dockerfile parser,
 * its COPY instructions are replayed from the repository into a fresh directory (filtered by
 * .dockerignore as Docker filters the build context), its dependency install step runs there exactly
 * as written, and what the image's CMD starts is run on the result. The web client's build stage is
 * replayed the same way (its COPYs and RUNs), and the image's `COPY --from` takes what it built. A lockfile `npm ci` rejects, a
 * runtime import of a devDependency, or a file the image needs but does not copy fails here.
 * The install uses the npm on the PATH (scripts/node24 puts Node 24 first) and the machine's npm
 * cache, as the Dockerfile's cache mount would; it needs the npm registry for what is not cached.
 */
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  globSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import dockerignore from '@balena/dockerignore';
import { expect } from 'chai';
import { type Cmd, type Copy, DockerfileParser, type Instruction } from 'dockerfile-ast';
import { CapturedOutput, PLATFORM_SERVING, runToEnd, stopProcess, track } from '../support/processes.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const dockerfile = DockerfileParser.parse(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const keyword = (instruction: Instruction) => instruction.getKeyword().toUpperCase();

/** The Dockerfile's stages: each FROM with its name and the instructions up to the next FROM. */
const stages = dockerfile.getFROMs().map((from, index, froms) => {
  const all = dockerfile.getInstructions();
  const end = index + 1 < froms.length ? all.indexOf(froms[index + 1]!) : all.length;
  const body = all.slice(all.indexOf(from) + 1, end);
  const workdir = body.find((i) => keyword(i) === 'WORKDIR')?.getArgumentsContent() ?? '/';
  return { name: from.getBuildStage(), instructions: body, workdir };
});
/** What the image is: the last stage. */
const instructions = stages.at(-1)!.instructions;
/** Where a replayed stage's WORKDIR lies on this machine, by stage name. */
const stageDirs = new Map<string, string>();
const contextFilter = dockerignore
  .default()
  .add(readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n'));

/** ENV instructions as an environment (single `KEY=value` pairs, the form this Dockerfile uses). */
function imageEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of instructions.filter((i) => keyword(i) === 'ENV'))
    for (const pair of instruction.getArguments()) {
      const [key, ...value] = pair.getValue().split('=');
      env[key!] = value.join('=');
    }
  return env;
}

/**
 * Copies a COPY instruction's sources into `appDir` (the WORKDIR): from the build context, or with
 * `--from=STAGE` from where that stage was replayed (its paths are absolute, under its WORKDIR).
 */
function replayCopy(instruction: Copy, appDir: string): void {
  const args = instruction.getArguments().map((argument) => argument.getValue());
  const destination = join(appDir, args.at(-1)!);
  const flags = instruction.getFlags();
  if (flags.length > 0) {
    const stageName = flags.length === 1 && flags[0]!.getName() === 'from' ? flags[0]!.getValue() : undefined;
    const stage = stages.find((candidate) => candidate.name === stageName);
    const stageDir = stageName ? stageDirs.get(stageName) : undefined;
    if (!stage || !stageDir) throw new Error(`COPY flags are not replayed: ${instruction.toString()}`);
    for (const source of args.slice(0, -1)) {
      const inStage = relative(stage.workdir, source);
      if (inStage.startsWith('..')) throw new Error(`COPY ${source}: outside stage ${stageName}'s WORKDIR`);
      cpSync(join(stageDir, inStage), destination, { recursive: true });
    }
    return;
  }
  for (const source of args.slice(0, -1)) {
    const from = join(ROOT, source);
    if (contextFilter.ignores(source)) throw new Error(`COPY ${source}: excluded by .dockerignore`);
    const to = statSync(from).isDirectory() ? destination : join(destination, basename(source));
    mkdirSync(statSync(from).isDirectory() ? to : destination, { recursive: true });
    cpSync(from, to, {
      recursive: true,
      filter: (path) => statSync(path).isDirectory() || !contextFilter.ignores(relative(ROOT, path)),
    });
  }
}

/** The machine's environment as a build would see it: no npm settings leaked from the test runner. */
function buildEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  for (const key of ['DATABASE_URL', 'SERVICES', 'ANYCHAT_ADAPTER', 'ANYCHAT_DATA_DIR', 'PORT', 'HOST'])
    delete env[key];
  return { ...env, ...extra };
}

/** The start and the end of a long output (npm puts the reason first and its usage text after it). */
const excerpt = (output: string) =>
  output.length <= 6000 ? output : `${output.slice(0, 3000)}\n…\n${output.slice(-3000)}`;

const node = (command: string) => (command === 'node' ? process.execPath : command);

describe('container image (Dockerfile, replayed without Docker)', function () {
  this.timeout(600_000);
  const appDir = mkdtempSync(join(tmpdir(), 'anychat-image-'));
  const webDir = mkdtempSync(join(tmpdir(), 'anychat-image-web-'));
  after(() => {
    for (const dir of [appDir, webDir]) rmSync(dir, { recursive: true, force: true });
  });

  it('pins the base image to the Node version the project is tested with', () => {
    const [, tested] = /NODE_VERSION="\$\{ANYCHAT_NODE_VERSION:-([\d.]+)\}"/.exec(
      readFileSync(join(ROOT, 'scripts/node24'), 'utf8'),
    )!;
    const args = Object.fromEntries(
      dockerfile.getARGs().map((arg) => [arg.getProperty()!.getName(), arg.getProperty()!.getValue()]),
    );
    for (const from of dockerfile.getFROMs()) {
      const image = from.getImage()!.replace(/\$\{(\w+)\}/g, (_, name: string) => args[name] ?? '');
      expect(image).to.equal(`node:${tested}-slim`);
    }
  });

  it("installs the locked dependencies from a clean copy with the Dockerfile's own install step", async () => {
    const install = instructions.find(
      (i) => keyword(i) === 'RUN' && /\bnpm ci\b/.test(i.getArgumentsContent()!),
    );
    expect(install, 'a RUN with npm ci').to.not.equal(undefined);
    for (const instruction of instructions.slice(0, instructions.indexOf(install!)))
      if (keyword(instruction) === 'COPY') replayCopy(instruction as Copy, appDir);
    expect(
      existsSync(join(appDir, 'package-lock.json')),
      'the lockfile is copied before the install',
    ).to.equal(true);

    const run = spawn('sh', ['-c', install!.getArgumentsContent()!], {
      cwd: appDir,
      env: buildEnv(imageEnv()),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const { code, output } = await runToEnd(run);
    expect(code, `${install!.getArgumentsContent()} failed:\n${excerpt(output)}`).to.equal(0);
    expect(existsSync(join(appDir, 'node_modules/koa')), 'production dependencies').to.equal(true);
    expect(existsSync(join(appDir, 'node_modules/typescript')), 'no development dependencies').to.equal(
      false,
    );
  });

  it('builds the web client in a stage of its own, from a clean copy, with its own steps', async () => {
    const web = stages.find((stage) => stage.name === 'web');
    expect(web, 'a stage named web').to.not.equal(undefined);
    for (const instruction of web!.instructions) {
      if (keyword(instruction) === 'COPY') replayCopy(instruction as Copy, webDir);
      if (keyword(instruction) !== 'RUN') continue;
      const command = instruction.getArgumentsContent()!;
      const { code, output } = await runToEnd(
        spawn('sh', ['-c', command], { cwd: webDir, env: buildEnv({}), stdio: ['ignore', 'pipe', 'pipe'] }),
      );
      expect(code, `${command} failed:\n${excerpt(output)}`).to.equal(0);
    }
    expect(existsSync(join(webDir, 'web/dist/index.html')), 'web/dist built').to.equal(true);
    stageDirs.set('web', webDir);
  });

  it("runs the image's CMD on the copied files and production dependencies alone: it serves, then stops cleanly", async () => {
    expect(existsSync(join(appDir, 'node_modules')), 'the install step ran').to.equal(true);
    const install = instructions.findIndex(
      (i) => keyword(i) === 'RUN' && /\bnpm ci\b/.test(i.getArgumentsContent()!),
    );
    for (const instruction of instructions.slice(install + 1))
      if (keyword(instruction) === 'COPY') replayCopy(instruction as Copy, appDir);
    expect(existsSync(join(appDir, 'services/main.ts'))).to.equal(true);
    const shippedTests = globSync('{common,services,operator,cli}/**/*.test.ts', { cwd: appDir });
    expect(shippedTests, 'no tests in the image').to.deep.equal([]);

    const [command, ...args] = (dockerfile.getCMDs()[0] as Cmd).getJSONStrings().map((s) => s.getJSONValue());
    // Embedded (no DATABASE_URL), its data in the image's default directory, on a free loopback port.
    const server = track(
      spawn(node(command!), args, {
        cwd: appDir,
        env: buildEnv({ ...imageEnv(), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    const output = new CapturedOutput(server);
    const [, url] = await output.waitFor(PLATFORM_SERVING).catch((error: Error) => {
      throw new Error(`CMD did not serve: ${excerpt(error.message)}`);
    });
    try {
      expect((await fetch(`${url}/readyz`)).status).to.equal(200);
      // The web client the web stage built is shipped and served.
      const page = await fetch(`${url}/`);
      expect(page.status).to.equal(200);
      expect(await page.text()).to.include('<div id="app"></div>');
    } finally {
      expect(await stopProcess(server), excerpt(output.text)).to.equal(0);
    }
  });

  it('ships imctl and the operator, both loading with production dependencies alone', async () => {
    expect(existsSync(join(appDir, 'cli/imctl.ts')), 'the COPY steps ran').to.equal(true);
    const env = buildEnv(imageEnv());
    const imctl = await runToEnd(
      spawn(process.execPath, ['cli/imctl.ts', '--help'], {
        cwd: appDir,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    expect(imctl.code, imctl.output).to.equal(0);
    expect(imctl.output).to.match(/admin/);
    // operator/main.ts starts only when run as the entry point; importing it loads its whole module graph.
    const operator = await runToEnd(
      spawn(process.execPath, ['--input-type=module', '-e', "await import('./operator/main.ts')"], {
        cwd: appDir,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    expect(operator.code, operator.output).to.equal(0);
  });
});
