/**
 * Reading configuration documents from disk into `Sourced` values for validate(), through
 * the model's one document parser: bad bytes and bad JSON become Problems (with the file
 * named), never exceptions, so a reload can report every broken file at once.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  documentProblem,
  isVfName,
  type Parsed,
  type Problem,
  parseDocument,
  type Sourced,
} from '../model/index.js';
import { vfFile } from './layout.js';

export interface ReadResult {
  docs: Sourced[];
  problems: Problem[];
  /** Files in the directory that are not VF policies (ignored, reported as a warning). */
  ignored: string[];
}

/** Read every `NAME.json` of the VF policy directory. */
export async function readVfDir(dir: string): Promise<ReadResult> {
  const out: ReadResult = { docs: [], problems: [], ignored: [] };
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  for (const entry of names) {
    if (entry === '.aside') continue;
    const name = entry.endsWith('.json') ? entry.slice(0, -5) : '';
    if (!isVfName(name)) {
      out.ignored.push(entry);
      continue;
    }
    const file = vfFile(dir, name);
    const parsed = parseDocument(file, await readFile(file), 'json');
    if ('problem' in parsed) {
      out.problems.push(parsed.problem);
      continue;
    }
    const data = parsed.data as { name?: unknown } | null;
    if (data && typeof data === 'object' && data.name !== name) {
      out.problems.push({
        file,
        field: 'name',
        value: data.name,
        allowed: `"${name}" (the file name without .json)`,
        fix: `set "name" to "${name}" or rename the file`,
        message: `policy name ${JSON.stringify(data.name)} does not match file ${basename(file)}`,
      });
      continue;
    }
    out.docs.push({ file, data });
  }
  return out;
}

/** Read the main config file (JSON5). */
export async function readMainFile(file: string): Promise<Parsed> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    return {
      problem: documentProblem(
        file,
        `cannot read main config: ${(err as Error).message}`,
        'check the path given with --config',
      ),
    };
  }
  return parseDocument(file, bytes, 'json5');
}
