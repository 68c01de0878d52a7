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
  // A policy missing its "pf" is still a policy (and reported as such), not a second main.
  return ('pf' in data || 'vf' in data) && !('pfs' in data);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseProblem(file: string, err: Error): Problem {
  return {
    file,
    field: '(document)',
    value: null,
    allowed: 'one JSON object',
    fix: 'correct the JSON syntax',
    message:
      err instanceof TypeError
        ? 'not valid UTF-8: save the file as UTF-8'
        : err instanceof RangeError
          ? 'nested too deeply to parse'
          : `not valid JSON: ${err.message}`,
  };
}

export async function loadDocuments(paths: readonly string[]): Promise<ConfigDocuments> {
  const docs: ConfigDocuments = { main: null, vfs: [], problems: [] };
  const mains: string[] = [];
  for (const file of await expandPaths(paths)) {
    let data: unknown;
    try {
      // Fatal decoding: invalid UTF-8 is refused, not silently turned into U+FFFD.
      data = JSON.parse(utf8.decode(await readFile(file)));
    } catch (err) {
      // SyntaxError, TypeError (bad UTF-8) or RangeError (nesting too deep for the parser).
      docs.problems.push(parseProblem(file, err as Error));
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
