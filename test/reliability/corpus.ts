/** The hostile-input corpus (test/corpus/hostile): manifest, files, and "names the field". */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Source tree path of the corpus (tests run from dist/test/reliability/). */
export const CORPUS = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../test/corpus/hostile',
);

interface Synth {
  marker: string;
  open: string;
  close: string;
  count: number;
}

interface Base {
  id: string;
  why: string;
  /** The field the refusal must name. */
  field: string;
  synth?: Synth;
}
export interface PolicyCase extends Base {
  kind: 'policy';
  files: string[];
  main?: string;
  /** Also PUT the (single) document through the API. */
  api?: boolean;
  /** The field the API must name, when it differs (the HTTP layer refuses it earlier). */
  apiField?: string;
}
export interface ApiCase extends Base {
  kind: 'api';
  method: string;
  path: string;
  body?: string;
  contentType?: string;
  status?: number;
}
export type Case = PolicyCase | ApiCase;

export function loadCorpus(): Case[] {
  return (JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as { cases: Case[] })
    .cases;
}

/** Bytes of a corpus file, with a synthesized part (huge or deep) expanded. */
export function bytesOf(c: Case, file: string): Buffer {
  const raw = readFileSync(join(CORPUS, file));
  if (!c.synth) return raw;
  const s = c.synth;
  const at = raw.indexOf(s.marker);
  if (at < 0) return raw;
  return Buffer.concat([
    raw.subarray(0, at),
    Buffer.from(s.open.repeat(s.count) + s.close.repeat(s.count)),
    raw.subarray(at + s.marker.length),
  ]);
}

interface ProblemLike {
  field?: string;
  message?: string;
}

/** True when the refusal names `field`: a problem's dotted field has it as a segment, or the text says it. */
export function namesField(field: string, problems: ProblemLike[], text: string): boolean {
  for (const p of problems) {
    const f = p.field ?? '';
    if (f === field || f.split('.').includes(field)) return true;
  }
  return text.includes(field) || problems.some((p) => (p.message ?? '').includes(field));
}
