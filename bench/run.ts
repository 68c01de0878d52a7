/**
 * `npm run bench`: runs every bench module next to this file (bench/*.js after the build),
 * each exporting `run(): Promise<void>` that prints its own figures. Pass names to run only
 * some: `npm run bench -- policy sim`.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = (await readdir(here))
  .filter((f) => f.endsWith('.js') && f !== 'run.js' && !f.startsWith('_'))
  .sort();
for (const f of files) {
  const name = basename(f, '.js');
  if (only.length > 0 && !only.includes(name)) continue;
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { run?: () => Promise<void> };
  if (typeof mod.run !== 'function') continue;
  console.log(`\n== ${name} ==`);
  await mod.run();
}
