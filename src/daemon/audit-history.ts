/**
 * Reading the audit log back: the last sequence number (so numbering continues across
 * restarts), a page of history before a sequence number (GET /v1/audit, the dashboard) and
 * the entries after one (an SSE client resuming with Last-Event-ID). The files are the
 * rotation set audit.log, audit.log.1 … audit.log.KEEP, newest first; a torn last line
 * (a crash while writing) or a line that does not parse is skipped, never fatal. A rotation
 * between two file reads can show an entry twice (never lose one): duplicates are dropped.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { AuditEntry } from '../model/index.js';

/** The rotation set, newest first. */
export function auditFiles(path: string, keep: number): string[] {
  return [path, ...Array.from({ length: keep }, (_, i) => `${path}.${i + 1}`)];
}

// record() writes `seq` first, so the number can be read without parsing the whole line.
const SEQ_RE = /^\{"seq":(\d+),/;

function seqOf(line: string): number | null {
  const m = SEQ_RE.exec(line);
  return m ? Number(m[1]) : null;
}

function parse(line: string): AuditEntry | null {
  try {
    const e = JSON.parse(line) as AuditEntry;
    return typeof e.seq === 'number' ? e : null;
  } catch {
    return null;
  }
}

/** The tail of a file, enough to hold its last complete lines (null: no such file). */
function tail(path: string, bytes: number): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, bytes);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * The highest sequence number on disk (0: no entries). Synchronous because it runs once in
 * start(), before the first record().
 */
export function lastAuditSeq(path: string, keep: number): number {
  for (const f of auditFiles(path, keep)) {
    // Entries are far below 1 MiB; a larger window only costs a read at start.
    const text = tail(f, 1 << 20);
    if (text === null) continue;
    const lines = text.split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      const e = parse(lines[i]);
      if (e) return e.seq;
    }
  }
  return 0;
}

async function lines(path: string): Promise<string[]> {
  try {
    return (await readFile(path, 'utf8')).split('\n').filter((l) => l.length > 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export interface AuditPage {
  /** Newest first. */
  entries: AuditEntry[];
  /** Pass as `before` for the next (older) page; null: this page reaches the oldest entry. */
  next: number | null;
}

/** Up to `limit` entries with seq < before (all when before is null), newest first. */
export async function auditBefore(
  path: string,
  keep: number,
  before: number | null,
  limit: number,
): Promise<AuditPage> {
  const out: AuditEntry[] = [];
  const seen = new Set<number>();
  let more = false;
  for (const f of auditFiles(path, keep)) {
    const ls = await lines(f);
    for (let i = ls.length - 1; i >= 0; i--) {
      const s = seqOf(ls[i]);
      if (s === null || (before !== null && s >= before) || seen.has(s)) continue;
      if (out.length === limit) {
        more = true;
        break;
      }
      const e = parse(ls[i]);
      if (e) out.push(e);
      seen.add(s);
    }
    if (more) break;
  }
  return { entries: out, next: more && out.length > 0 ? (out.at(-1) as AuditEntry).seq : null };
}

/**
 * The entries with seq > after, oldest first, at most `limit` (the newest ones when more
 * remain on disk). Reads older files only while they may still hold such entries.
 */
export async function auditAfter(
  path: string,
  keep: number,
  after: number,
  limit: number,
): Promise<AuditEntry[]> {
  const newestFirst: AuditEntry[] = [];
  const seen = new Set<number>();
  for (const f of auditFiles(path, keep)) {
    const ls = await lines(f);
    let reached = false;
    for (let i = ls.length - 1; i >= 0 && newestFirst.length < limit; i--) {
      const s = seqOf(ls[i]);
      if (s === null) continue;
      if (s <= after) {
        reached = true;
        break;
      }
      if (seen.has(s)) continue;
      seen.add(s);
      const e = parse(ls[i]);
      if (e) newestFirst.push(e);
    }
    if (reached || newestFirst.length >= limit) break;
  }
  return newestFirst.reverse();
}
