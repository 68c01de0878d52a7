/**
 * The first key a JSON (or JSON5) text gives twice in one object. JSON.parse and JSON5
 * keep the last, so `"trust":false,"trust":true` read as trust — what a reviewer of the
 * file (or a proxy inspecting the body) saw first is not what the daemon acts on. The text
 * is tokenised by momoa (ESLint's JSON parser, which reports the same case), iteratively:
 * a hostile 100,000-deep body costs a flat walk, never a recursion.
 */
import { tokenize } from '@humanwhocodes/momoa';
import JSON5 from 'json5';

export interface DuplicateKey {
  /** Dotted path of the repeated key, e.g. `mirror.target` or `vfs.2.trust`. */
  path: string;
  key: string;
}

interface Frame {
  keys: Set<string> | null;
  /** The frame's own path segment in its parent, and the next array index. */
  at: string;
  index: number;
}

function keyOf(token: string, mode: 'json' | 'json5'): string {
  if (mode === 'json') return JSON.parse(token) as string;
  return token.startsWith('"') || token.startsWith("'") ? (JSON5.parse(token) as string) : token;
}

/**
 * Walk the tokens, tracking the path; stop at the first repeated key or at the first token
 * at or past `stopAt`. Returns the repeated key (or null) and the path reached.
 */
function walk(
  tokens: ReturnType<typeof tokenize>,
  text: string,
  mode: 'json' | 'json5',
  stopAt = Number.POSITIVE_INFINITY,
): { dup: DuplicateKey | null; path: string[] } {
  const stack: Frame[] = [];
  const path = () =>
    stack
      .slice(1)
      .map((f) => f.at)
      .filter((s) => s !== '');
  let pendingKey = '';
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.range![0] >= stopAt) break;
    const top = stack[stack.length - 1];
    if (t.type === 'LBrace' || t.type === 'LBracket') {
      const at = top ? (top.keys ? pendingKey : String(top.index++)) : '';
      stack.push({ keys: t.type === 'LBrace' ? new Set() : null, at, index: 0 });
      pendingKey = '';
    } else if (t.type === 'RBrace' || t.type === 'RBracket') {
      stack.pop();
      pendingKey = '';
    } else if (
      top?.keys &&
      (t.type === 'String' || t.type === 'Identifier') &&
      tokens[i + 1]?.type === 'Colon'
    ) {
      const key = keyOf(text.slice(t.range![0], t.range![1]), mode);
      if (top.keys.has(key)) return { dup: { path: [...path(), key].join('.'), key }, path: [] };
      top.keys.add(key);
      pendingKey = key;
    } else if (top && !top.keys && t.type !== 'Comma' && !t.type.endsWith('Comment')) top.index++;
    else if (top?.keys && t.type === 'Comma') pendingKey = '';
  }
  return { dup: null, path: pendingKey ? [...path(), pendingKey] : path() };
}

function tokens(text: string, mode: 'json' | 'json5'): ReturnType<typeof tokenize> | null {
  try {
    return tokenize(text, { mode, ranges: true });
  } catch {
    return null;
  }
}

/** The first repeated key, or null (also null for text that does not tokenise). */
export function duplicateKey(text: string, mode: 'json' | 'json5' = 'json'): DuplicateKey | null {
  const t = tokens(text, mode);
  return t ? walk(t, text, mode).dup : null;
}

/**
 * The dotted path of the key whose value holds `offset` (a syntax error's position), from
 * the text before it; '' at the top level. Names the field without quoting the bytes.
 */
export function keyPathAt(text: string, offset: number, mode: 'json' | 'json5' = 'json'): string {
  // The tokeniser stops at the bad byte; what comes before it tokenises.
  const t = tokens(text.slice(0, offset), mode);
  return t ? walk(t, text, mode, offset).path.join('.') : '';
}

/** Keys of every object in a parsed value, counted without recursion. */
function keyCount(value: unknown): number {
  let n = 0;
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    const children = Object.values(v);
    if (!Array.isArray(v)) n += children.length;
    for (const c of children) stack.push(c);
  }
  return n;
}

/** Colons outside strings of a strict JSON text: one per key given. */
function colonCount(text: string): number {
  let n = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x3a) n++;
  }
  return n;
}

/**
 * duplicateKey() for a strict JSON text already parsed into `data`, fast for the usual case:
 * when the text gives as many keys as the value holds, none was repeated (a repeated key
 * collapses into one), and the tokeniser (~40× JSON.parse) is never run.
 */
export function duplicateKeyOfParsed(text: string, data: unknown): DuplicateKey | null {
  if (colonCount(text) === keyCount(data)) return null;
  return duplicateKey(text, 'json');
}
