import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isRecord, type Problem, parseDocument, type Sourced } from '../model/index.js';

/** The documents named on a command line, sorted into the main config and VF policies. */
export interface ConfigDocuments {
  main: Sourced | null;
  vfs: Sourced[];
  problems: Problem[];
  /** Files that could not be read as JSON (one of them may have been the main config). */
  unreadable: string[];
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
  // A policy missing its "pf" is still a policy (and reported as such), not a second main.
  return isRecord(data) && ('pf' in data || 'vf' in data) && !('pfs' in data);
}

/**
 * One file as the daemon would read it: a VF policy is strict JSON; the main config is
 * JSON5 (comments). Which one a file is, is known only from its content, so a file that is
 * not strict JSON is read again as JSON5 and kept if that makes it a main config.
 */
function readOne(file: string, bytes: Buffer): { doc: Sourced } | { problem: Problem } {
  const strict = parseDocument(file, bytes, 'json');
  if ('data' in strict) return { doc: { file, data: strict.data } };
  const lenient = parseDocument(file, bytes, 'json5');
  if ('data' in lenient && !isVfPolicy(lenient.data)) return { doc: { file, data: lenient.data } };
  return strict;
}

export async function loadDocuments(paths: readonly string[]): Promise<ConfigDocuments> {
  const docs: ConfigDocuments = { main: null, vfs: [], problems: [], unreadable: [] };
  const mains: string[] = [];
  for (const file of await expandPaths(paths)) {
    const r = readOne(file, await readFile(file));
    if ('problem' in r) {
      docs.problems.push(r.problem);
      docs.unreadable.push(file);
    } else if (isVfPolicy(r.doc.data)) docs.vfs.push(r.doc);
    else {
      mains.push(file);
      docs.main ??= r.doc;
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

/** VF policies from a file (one policy or an array) or every `*.json` of a directory. */
export async function loadPolicies(
  path: string,
): Promise<{ docs: Sourced[]; problems: Problem[] }> {
  const out: { docs: Sourced[]; problems: Problem[] } = { docs: [], problems: [] };
  for (const file of await expandPaths([path])) {
    const r = parseDocument(file, await readFile(file), 'json');
    if ('problem' in r) out.problems.push(r.problem);
    else
      for (const data of Array.isArray(r.data) ? r.data : [r.data]) out.docs.push({ file, data });
  }
  return out;
}
