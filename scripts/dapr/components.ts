/**
 * Writes the Dapr resources for self-hosted runs into components/ (checked in; a test fails when
 * they are stale). Run after changing TOPIC_SUBSCRIBERS: `npm run dapr:components`.
 * The same functions render the files test clusters and the operator use, with their own addresses.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSelfHostedResources } from '../../common/deploy/index.ts';

const root = join(import.meta.dirname, '..', '..', 'components');
const files = renderSelfHostedResources();
mkdirSync(root, { recursive: true });
for (const entry of readdirSync(root, { withFileTypes: true }))
  if (entry.isDirectory()) rmSync(join(root, entry.name), { recursive: true });
for (const [path, text] of Object.entries(files)) {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), text);
}
console.log(`wrote ${Object.keys(files).length} files under components/`);
