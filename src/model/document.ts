/**
 * The one parser of configuration documents, used by the daemon (main config, VF policy
 * files, guest state) and the CLI (`validate`, `apply -f`): bytes in, a value or a Problem
 * out, never an exception, so a caller reading many files can report every broken one.
 * Pure: the callers read the bytes.
 */
import { parse as momoaParse } from '@humanwhocodes/momoa';
import JSON5 from 'json5';
import { MAX_DEPTH, tooDeep } from './depth.js';
import {
  type DuplicateKey,
  duplicateKey,
  duplicateKeyOfParsed,
  keyPathAt,
} from './duplicate-keys.js';
import type { Problem } from './problem.js';

/** A configuration document and where it came from (file path or API object). */
export interface Sourced {
  file: string;
  data: unknown;
}

/**
 * `json5` for the hand-written main config (comments, trailing commas); `json` for the files
 * the daemon writes and reads back (VF policies, guest state), which stay strict.
 */
export type DocumentFormat = 'json' | 'json5';

export type Parsed = { data: unknown } | { problem: Problem };

export function documentProblem(file: string, message: string, fix: string): Problem {
  return { file, field: '(document)', value: null, allowed: 'one JSON object', fix, message };
}

// Fatal decoding: invalid UTF-8 is refused, not silently turned into U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseDocument(file: string, bytes: Uint8Array, format: DocumentFormat): Parsed {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { problem: documentProblem(file, 'file is not valid UTF-8', 'save it as UTF-8') };
  }
  let data: unknown;
  try {
    data = format === 'json5' ? JSON5.parse(text) : JSON.parse(text);
  } catch (err) {
    // RangeError: nesting too deep for the parser's own recursion (JSON5 recurses).
    const kind = format === 'json5' ? 'JSON5' : 'JSON';
    const fix = 'fix the syntax (a truncated file is often the cause)';
    if (err instanceof RangeError)
      return {
        problem: documentProblem(file, `invalid ${kind}: it nests too deeply to parse`, fix),
      };
    const { where, offset } = syntaxWhere(err, text);
    const field = offset === null ? '' : keyPathAt(text, offset, format);
    // The key names the field for the reader; `field` stays the document (it is not valid).
    const near = field ? ` (near key ${field})` : '';
    return { problem: documentProblem(file, `invalid ${kind}: ${where}${near}`, fix) };
  }
  // Legitimate documents nest a few levels; every recursive walker after this one would
  // overflow its stack on a hostile one.
  if (tooDeep(data)) return { problem: tooDeepProblem(file) };
  const dup = format === 'json' ? duplicateKeyOfParsed(text, data) : duplicateKey(text, 'json5');
  if (dup) return { problem: duplicateKeyProblem(file, dup) };
  return { data };
}

/** The offset of 1-based `line`, `column` in `text`. */
function offsetOf(text: string, line: number, column: number): number {
  let off = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', off);
    if (nl < 0) break;
    off = nl + 1;
  }
  return off + column - 1;
}

/**
 * Where a syntax error is, never what: the parsers quote the bytes around it, and a VF file
 * symlinked to a secret would show the secret's start in a 422 and in the log. Returns the
 * offset too, so the caller can name the field the error is in.
 */
function syntaxWhere(err: unknown, text: string): { where: string; offset: number | null } {
  const e = err as { message?: string; lineNumber?: number; columnNumber?: number };
  const at = (line: number, column: number) => ({
    where: `syntax error at line ${line}, column ${column}`,
    offset: offsetOf(text, line, column),
  });
  if (typeof e.lineNumber === 'number') return at(e.lineNumber, e.columnNumber ?? 1);
  const m = /position (\d+)/.exec(e.message ?? '');
  if (m) {
    const before = text.slice(0, Number(m[1])).split('\n');
    return at(before.length, before[before.length - 1].length + 1);
  }
  if (/end of (JSON )?input/i.test(e.message ?? ''))
    return { where: 'the document ends too early', offset: text.length };
  // V8 names no position for some errors (`Unexpected token 'h', "hello…" is not valid
  // JSON`); momoa's parser finds it.
  try {
    momoaParse(text, { mode: 'json' });
  } catch (m) {
    const { line, column } = m as { line?: number; column?: number };
    if (typeof line === 'number') return at(line, column ?? 1);
  }
  return { where: 'syntax error', offset: null };
}

/** A key given twice in one object (the parsers would silently keep the last). */
export function duplicateKeyProblem(file: string, dup: DuplicateKey, whole = 'document'): Problem {
  return {
    file,
    field: dup.path,
    value: dup.key,
    allowed: 'each key once per object',
    fix: `remove one of the two "${dup.key}" entries`,
    message: `${whole} gives key "${dup.key}" twice (at ${dup.path}); refused rather than keeping the last one`,
  };
}

/** The problem of a document (or, `whole` = `(body)`, an API body) nested past MAX_DEPTH. */
export function tooDeepProblem(file: string, whole = '(document)'): Problem {
  return {
    file,
    field: whole,
    value: null,
    allowed: `at most ${MAX_DEPTH} levels of nested objects and arrays`,
    fix: 'flatten it; no nicvisor field nests that deep (see /v1/openapi.json and docs/reference.md)',
    message: `${whole === '(document)' ? 'document' : 'body'} nests deeper than ${MAX_DEPTH} levels`,
  };
}
