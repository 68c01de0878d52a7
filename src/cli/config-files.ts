import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Problem } from '../model/index.js';
import type { Sourced } from '../policy/validate.js';

/** The documents named on a command line, sorted into the main config and VF policies. */
export interface ConfigDocuments {
  main: Sourced | null;
  vfs: Sourced[];
  problems: Problem[];
}

/** FILE stays itself; DIR becomes every `*.json` directly inside it, sorted. */
export async function expandPaths(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    if ((await stat(p)).isDirectory()) {
      const names = (await readdir(p)).filter((n) => n.endsWith('.json')).sort();
      out.push(...names.map((n) => join(p, n)));
    } else out.push(p);
  }
  return out;
}

/** A VF policy names its PF and VF index; anything else is taken for a main config. */
function isVfPolicy(data: unknown): boolean {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  return 'pf' in data && !('pfs' in data);
}

function parseProblem(file: string, err: Error): Problem {
  return {
    file,
    field: '(document)',
    value: null,
    allowed: 'one JSON object',
    fix: 'correct the JSON syntax',
    message: `not valid JSON: ${err.message}`,
  };
}

export async function loadDocuments(paths: readonly string[]): Promise<ConfigDocuments> {
  const docs: ConfigDocuments = { main: null, vfs: [], problems: [] };
  const mains: string[] = [];
  for (const file of await expandPaths(paths)) {
    let data: unknown;
    try {
      data = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      docs.problems.push(parseProblem(file, err));
      continue;
    }
    if (isVfPolicy(data)) docs.vfs.push({ file, data });
    else {
      mains.push(file);
      docs.main ??= { file, data };
    }
  }
  if (mains.length > 1) {
    docs.problems.push({
      file: mains[1],
      field: '(document)',
      value: null,
      allowed: 'one main config',
      fix: `pass only one main config (also given: ${mains[0]})`,
      message: 'more than one main config given',
    });
  }
  return docs;
}
