/**
 * `npm run schema`: writes schema/*.schema.json and docs/reference.md from the zod schemas.
 * The output is committed; test/schema.test.ts fails when it is stale.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonSchemas, referenceMarkdown } from '../src/model/json-schema.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
await mkdir(join(root, 'schema'), { recursive: true });
for (const [name, schema] of Object.entries(jsonSchemas())) {
  await writeFile(join(root, 'schema', name), `${JSON.stringify(schema, null, 2)}\n`);
}
await writeFile(join(root, 'docs', 'reference.md'), referenceMarkdown());
console.log('wrote schema/*.schema.json and docs/reference.md');
