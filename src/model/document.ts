/**
 * The one parser of configuration documents, used by the daemon (main config, VF policy
 * files, guest state) and the CLI (`validate`, `apply -f`): bytes in, a value or a Problem
 * out, never an exception, so a caller reading many files can report every broken one.
 * Pure: the callers read the bytes.
 */
import JSON5 from 'json5';
import { MAX_DEPTH, tooDeep } from './depth.js';
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
    const why = err instanceof RangeError ? 'it nests too deeply to parse' : (err as Error).message;
    const kind = format === 'json5' ? 'JSON5' : 'JSON';
    return {
      problem: documentProblem(
        file,
        `invalid ${kind}: ${why}`,
        'fix the syntax (a truncated file is often the cause)',
      ),
    };
  }
  // Legitimate documents nest a few levels; every recursive walker after this one would
  // overflow its stack on a hostile one.
  if (tooDeep(data)) return { problem: tooDeepProblem(file) };
  return { data };
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
