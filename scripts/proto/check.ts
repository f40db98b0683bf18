/**
 * The contracts' part of `npm run check`: `buf lint`, `buf breaking` against the released baseline
 * (a checked-in image, so a fresh clone without network or git history can check), and a staleness
 * check that regenerates the TypeScript into a temporary folder and names every file that differs
 * from services/platform/contracts/gen/.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse, stringify } from 'yaml';
import { baselineImage, buf, generatedRoot, protoRoot } from './buf.ts';

interface GenerateTemplate {
  plugins: { out: string }[];
}

function filesUnder(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const entries = readdirSync(root, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(root, path), readFileSync(path, 'utf8'));
  }
  return files;
}

/** Files of the generated tree that differ from what buf generates now (changed, missing or extra). */
function staleFiles(): string[] {
  const scratch = mkdtempSync(join(tmpdir(), 'anychat-proto-'));
  try {
    const template = parse(readFileSync(join(protoRoot, 'buf.gen.yaml'), 'utf8')) as GenerateTemplate;
    for (const plugin of template.plugins) plugin.out = join(scratch, 'out');
    const templatePath = join(scratch, 'buf.gen.yaml');
    writeFileSync(templatePath, stringify(template));
    buf(['generate', '--template', templatePath]);
    const fresh = filesUnder(join(scratch, 'out'));
    const committed = filesUnder(generatedRoot);
    const stale: string[] = [];
    for (const [path, text] of fresh) if (committed.get(path) !== text) stale.push(path);
    for (const path of committed.keys()) if (!fresh.has(path)) stale.push(path);
    return stale.sort();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

let stale: string[];
try {
  buf(['lint']);
  buf(['breaking', '--against', baselineImage]);
  stale = staleFiles();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
if (stale.length > 0) {
  const where = relative(process.cwd(), generatedRoot);
  console.error(
    `generated code is stale; run \`npm run proto:generate\` and commit:\n${stale.map((path) => `  ${join(where, path)}`).join('\n')}`,
  );
  process.exit(1);
}
console.log('proto: lint, breaking and generated code up to date');
