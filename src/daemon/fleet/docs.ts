/**
 * Fleet documents from where they are kept: the fleet store's raw values (a bad one is
 * refused under its key, never fatal) and the directory `fleet plan|apply -f DIR` reads
 * (every problem of every file reported at once).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { docKey, FleetDoc, type RefusedDoc } from '../../model/fleet.js';
import { type Problem, ValidationError } from '../../model/index.js';
import type { DesiredSnapshot } from './backend.js';

export interface Parsed {
  docs: FleetDoc[];
  refused: RefusedDoc[];
  /** Newest `writtenAt` of the documents, for the watch lag. */
  newest: number | null;
}

function envelopeProblem(key: string, why: string): Problem {
  return {
    file: key,
    field: '(document)',
    value: undefined,
    allowed: 'a fleet document {kind, name, selector, policy} stored under desired/KIND/NAME',
    fix: `rewrite ${key} with nicvisor fleet apply`,
    message: `${key}: not a fleet document: ${why}`,
  };
}

const issues = (e: { issues: { path: PropertyKey[]; message: string }[] }) =>
  e.issues.map((i) => `${i.path.map(String).join('.') || '(document)'}: ${i.message}`).join('; ');

export function parseDocs(raw: ReadonlyMap<string, string>): Parsed {
  const out: Parsed = { docs: [], refused: [], newest: null };
  for (const [key, text] of raw) {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      out.refused.push({ doc: key, problems: [envelopeProblem(key, (err as Error).message)] });
      continue;
    }
    const r = FleetDoc.safeParse(data);
    if (!r.success || docKey(r.data) !== key) {
      const why = r.success
        ? `kind/name ${docKey(r.data)} does not match its key`
        : issues(r.error);
      out.refused.push({ doc: key, problems: [envelopeProblem(key, why)] });
      continue;
    }
    out.docs.push(r.data);
    const at = r.data.writtenAt ? Date.parse(r.data.writtenAt) : Number.NaN;
    if (!Number.isNaN(at) && (out.newest === null || at > out.newest)) out.newest = at;
  }
  return out;
}

export function parseSnapshot(s: DesiredSnapshot): Parsed {
  return parseDocs(new Map(s.docs.map((d) => [d.key, d.text])));
}

/** Every `*.json` in `dir` (one document or an array of them per file); throws every problem. */
export async function readDocsDir(dir: string): Promise<FleetDoc[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    throw new Error(
      `-f ${dir}: ${(err as Error).message} (fix: give a directory of fleet documents)`,
    );
  }
  const docs: FleetDoc[] = [];
  const problems: Problem[] = [];
  const seen = new Map<string, string>();
  for (const n of names) {
    const file = join(dir, n);
    let data: unknown;
    try {
      data = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      problems.push({ ...envelopeProblem(file, (err as Error).message), fix: 'write valid JSON' });
      continue;
    }
    for (const [i, item] of (Array.isArray(data) ? data : [data]).entries()) {
      const r = FleetDoc.omit({ rollout: true, deleted: true }).safeParse(item);
      const where = Array.isArray(data) ? `${file}[${i}]` : file;
      if (!r.success) {
        problems.push({ ...envelopeProblem(where, issues(r.error)), fix: 'correct the document' });
        continue;
      }
      const key = docKey(r.data);
      const first = seen.get(key);
      if (first) {
        problems.push({
          ...envelopeProblem(where, `${key} is also defined in ${first}`),
          fix: 'keep one document per kind and name',
        });
        continue;
      }
      seen.set(key, where);
      docs.push(r.data);
    }
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return docs;
}
