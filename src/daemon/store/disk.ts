/**
 * What the store reads from disk: the configuration as an operator left it (main config
 * file, `vfs/`), every guest state file, and the record of the last committed configuration.
 * Documents go through the model's one parser: bad bytes and bad JSON become Problems (the
 * file named), never exceptions, so a start or reload reports every broken file at once.
 */
import { readdir, stat } from 'node:fs/promises';
import {
  documentProblem,
  emptyGuestState,
  GuestState,
  isRecord,
  isVfName,
  type Parsed,
  type Problem,
  parseDocument,
  type Sourced,
} from '../../model/index.js';
import { hookProblems } from '../hook-trust.js';
import { type Layout, vfFile } from '../layout.js';
import type { Logger } from '../logger.js';
import { readRegularFile, UnreadableFileError } from '../safe-read.js';
import { distrustDir, distrustFile } from '../trust.js';
import type { Proposal } from './change.js';
import { readCommitted } from './committed.js';

export interface ReadResult {
  docs: Sourced[];
  problems: Problem[];
  /** Files in the directory that are not VF policies (ignored, reported as a warning). */
  ignored: string[];
}

/** A Problem about a file as a whole (unsafe, unreadable), with the fix. */
function fileProblem(file: string, message: string, fix: string): Problem {
  return {
    file,
    field: '(file)',
    value: null,
    allowed: 'a regular file owned by root (or the daemon user) that only its owner can write',
    fix,
    message,
  };
}

/** The bytes of a file the daemon may trust, or the Problem that refuses it. */
function trustedBytes(file: string, kind: string, within: string | undefined): Buffer | Problem {
  try {
    const d = distrustFile(file, { kind, within });
    if (d) return fileProblem(file, d.what, d.fix);
    return readRegularFile(file);
  } catch (err) {
    if (err instanceof UnreadableFileError) return fileProblem(file, err.message, err.fix);
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return fileProblem(file, `${kind} ${file} cannot be read (${code})`, `check ${file}`);
  }
}

/**
 * Read every `NAME.json` of the VF policy directory, refusing (as Problems) what root
 * should not trust, the way sshd refuses an authorized_keys others can write: a directory
 * others can write, a symlink out of `stateDir`, a file that is not regular, too big, owned
 * by another user or writable by others, and hooks naming a program others can write.
 */
export async function readVfDir(dir: string, stateDir = dir): Promise<ReadResult> {
  const out: ReadResult = { docs: [], problems: [], ignored: [] };
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  for (const d of new Set([stateDir, dir])) {
    const bad = distrustDir(d, 'directory');
    if (bad) out.problems.push(fileProblem(d, bad.what, bad.fix));
  }
  for (const entry of names) {
    if (entry === '.aside') continue;
    const name = entry.endsWith('.json') ? entry.slice(0, -5) : '';
    if (!isVfName(name)) {
      out.ignored.push(entry);
      continue;
    }
    const file = vfFile(dir, name);
    const bytes = trustedBytes(file, 'VF policy file', stateDir);
    if (!Buffer.isBuffer(bytes)) {
      out.problems.push(bytes);
      continue;
    }
    const parsed = parseDocument(file, bytes, 'json');
    if ('problem' in parsed) {
      out.problems.push(parsed.problem);
      continue;
    }
    // A name that differs from the file's is reported by validate()'s name rule.
    out.docs.push({ file, data: parsed.data });
  }
  out.problems.push(...(await hookProblems(out.docs)));
  return out;
}

/** Read the main config file (JSON5), refusing one root should not trust. */
export async function readMainFile(file: string): Promise<Parsed> {
  try {
    await stat(file);
  } catch (err) {
    return {
      problem: documentProblem(
        file,
        `cannot read main config: ${(err as Error).message}`,
        'check the path given with --config',
      ),
    };
  }
  const bytes = trustedBytes(file, 'main config', undefined);
  if (!Buffer.isBuffer(bytes)) return { problem: bytes };
  return parseDocument(file, bytes, 'json5');
}

/** The files as they are now, as a proposal (with every problem of reading them). */
export async function diskProposal(
  layout: Layout,
  mainDoc: Sourced,
  log: Logger,
): Promise<Proposal> {
  const problems: Problem[] = [];
  let main = mainDoc;
  if (layout.configFile) {
    const m = await readMainFile(layout.configFile);
    if ('problem' in m) problems.push(m.problem);
    else main = { file: layout.configFile, data: m.data };
  }
  const read = await readVfDir(layout.vfsDir, layout.stateDir);
  if (read.ignored.length > 0)
    log.warn({ dir: layout.vfsDir, files: read.ignored }, 'ignored files that are not NAME.json');
  problems.push(...read.problems);
  return { mainDoc: main, docs: read.docs, problems, writes: new Set(), fromDisk: true };
}

/** The last committed configuration as a proposal, or null when there is none. */
export async function committedProposal(layout: Layout): Promise<Proposal | null> {
  const record = await readCommitted(layout.committedFile);
  if (!record) return null;
  const docs = record.vfs.map((data) => ({ file: `${layout.committedFile} (vfs)`, data }));
  return { mainDoc: record.main, docs, problems: [], writes: new Set(), fromDisk: false };
}

/** Names of the VF policy files present (valid or not). */
export async function policyFileNames(layout: Layout): Promise<Set<string>> {
  const names = await readdir(layout.vfsDir).catch(() => [] as string[]);
  return new Set(names.filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)));
}

/** Every guest state file; an unreadable one starts empty (the guest asks again). */
export async function loadGuests(layout: Layout, log: Logger): Promise<Map<string, GuestState>> {
  const guests = new Map<string, GuestState>();
  const names = (await readdir(layout.guestDir))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .filter(isVfName);
  for (const name of names) {
    const file = vfFile(layout.guestDir, name);
    let bytes: Buffer | null = null;
    try {
      bytes = readRegularFile(file);
    } catch {}
    const parsed = bytes ? parseDocument(file, bytes, 'json') : null;
    const data = parsed && 'data' in parsed && isRecord(parsed.data) ? parsed.data : null;
    const g = data ? GuestState.safeParse({ ...emptyGuestState(), ...data }) : null;
    if (g?.success) guests.set(name, g.data);
    else log.warn({ file }, 'guest state unreadable; starting empty');
  }
  return guests;
}
