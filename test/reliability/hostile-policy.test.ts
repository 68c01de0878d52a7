/**
 * Hostile policy files against the offline validator: `validate()` (as `nicvisor validate`
 * calls it) for every case, and the real CLI for every case too (exit 1, the field named on
 * stderr), a few processes at a time.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { loadDocuments } from '../../src/cli/config-files.js';
import { defaultCapabilityMap, MainConfig, type PfCapabilities } from '../../src/model/index.js';
import { validate } from '../../src/policy/validate.js';
import { bytesOf, CORPUS, loadCorpus, namesField, type PolicyCase } from './corpus.js';
import { MAIN } from './daemon-proc.js';

const cases = loadCorpus().filter((c): c is PolicyCase => c.kind === 'policy');

/** Materialise a case in a temp dir (synthesized parts expanded); returns its paths. */
async function materialise(dir: string, c: PolicyCase): Promise<string[]> {
  const out: string[] = [];
  const main = join(dir, `${c.id}-main.json`);
  await writeFile(main, c.main ? bytesOf(c, c.main) : bytesOf(c, 'main.json'));
  out.push(main);
  for (const [i, f] of c.files.entries()) {
    // A policy file is NAME.json; name it so when it can be, so that only the hostile part
    // of the case is wrong (cases with bad names keep the corpus file name).
    const bytes = bytesOf(c, f);
    const sub = join(dir, String(i));
    await mkdir(sub, { recursive: true });
    const p = join(sub, `${safeName(bytes) ?? basename(f, '.json')}.json`);
    await writeFile(p, bytes);
    out.push(p);
  }
  return out;
}

function safeName(bytes: Buffer): string | null {
  try {
    const name = (JSON.parse(bytes.toString('utf8')) as { name?: unknown }).name;
    return typeof name === 'string' && /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/.test(name)
      ? name
      : null;
  } catch {
    return null;
  }
}

async function offline(paths: string[]) {
  const docs = await loadDocuments(paths);
  const problems = [...docs.problems];
  if (docs.main) {
    const parsed = MainConfig.safeParse(docs.main.data);
    let caps = new Map<string, PfCapabilities>();
    try {
      if (parsed.success) caps = defaultCapabilityMap(parsed.data);
    } catch {}
    problems.push(...validate(docs.main, docs.vfs, caps).problems);
  }
  return problems;
}

function runCli(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, 'validate', ...args],
      { maxBuffer: 64 << 20 },
      (err, _out, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stderr });
      },
    );
  });
}

test(`hostile policy files: ${cases.length} cases refused by validate(), naming the field`, async () => {
  assert.ok(cases.length >= 150, `corpus in ${CORPUS}`);
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-hostile-'));
  const failures: string[] = [];
  try {
    for (const c of cases) {
      const problems = await offline(await materialise(dir, c)).catch((err: Error) => {
        failures.push(
          `${c.id} (${c.why}): validate threw ${err.name}: ${err.message.slice(0, 200)}`,
        );
        return null;
      });
      if (!problems) continue;
      if (problems.length === 0) failures.push(`${c.id} (${c.why}): accepted`);
      else if (!namesField(c.field, problems, JSON.stringify(problems)))
        failures.push(
          `${c.id} (${c.why}): does not name "${c.field}": ${problems
            .map((p) => `${p.field}: ${p.message}`)
            .join(' | ')
            .slice(0, 300)}`,
        );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.log(
    `hostile: ${cases.length} bad policy inputs through validate(), ${failures.length} not refused properly`,
  );
  assert.deepEqual(failures, []);
});

/** Spawning a CLI costs ~0.4 s of CPU: every case in-process above, a spread sample here. */
const CLI_STRIDE = 12;

test(`hostile policy files: the real CLI exits 1 naming the field (every ${CLI_STRIDE}th case)`, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-hostile-cli-'));
  const failures: string[] = [];
  let tried = 0;
  try {
    const queue = cases.filter((_, i) => i % CLI_STRIDE === 0);
    tried = queue.length;
    const worker = async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const sub = join(dir, c.id);
        await mkdir(sub);
        const r = await runCli(await materialise(sub, c));
        if (r.code !== 1)
          failures.push(`${c.id} (${c.why}): exit ${r.code}: ${r.stderr.slice(0, 300)}`);
        else if (!r.stderr.includes(c.field))
          failures.push(
            `${c.id} (${c.why}): stderr does not name "${c.field}": ${r.stderr.slice(0, 300)}`,
          );
      }
    };
    await Promise.all([worker(), worker(), worker()]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.log(
    `hostile: ${tried} bad policy inputs through nicvisor validate, ${failures.length} not refused properly`,
  );
  assert.deepEqual(failures, []);
});
