/**
 * `npm run bench`: runs every bench module next to this file (bench/*.js after the build),
 * each exporting `run(bench)` that states its figures through `bench/_report.ts`. Pass names
 * to run only some (`npm run bench -- policy sim`) and `--json FILE` to write every figure
 * as JSON for comparing runs.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BenchRun, parseBenchArgs, runBenches } from './_report.js';

const here = dirname(fileURLToPath(import.meta.url));
const files = (await readdir(here))
  .filter((f) => f.endsWith('.js') && f !== 'run.js' && !f.startsWith('_'))
  .sort();
const modules: { name: string; run: BenchRun }[] = [];
for (const f of files) {
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { run?: BenchRun };
  if (typeof mod.run === 'function') modules.push({ name: basename(f, '.js'), run: mod.run });
}
try {
  await runBenches(modules, parseBenchArgs(process.argv.slice(2)));
} catch (e) {
  console.error(`bench: ${(e as Error).message}`);
  process.exitCode = 1;
}
