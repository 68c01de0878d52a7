/**
 * What `tc` prints, read defensively (pure): the JSON of `tc -s -j -batch -` with several
 * `filter show` lines (one JSON array per line of the batch, printed one after another), and
 * the stderr of `tc -force -batch -` (each failed line ends in `Command failed -:N`, after
 * the kernel's extack text and iproute2's own words).
 */

/** One flower filter as the kernel reports it. */
export interface KernelFilter {
  dev: string;
  chain: number;
  prio: number;
  protocol: string;
  handle: number;
  /** The cookie of the last action (nicvisor puts its digest there), or null. */
  cookie: string | null;
  inHw: boolean;
  /** Frames and bytes the filter matched: its first action's counters. */
  packets: number;
  bytes: number;
  /** Frames its actions dropped (drop, police). */
  drops: number;
}

/** Splits concatenated JSON values (`[…]\n[…]`) without a streaming parser. */
export function splitJson(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === ']' || c === '}') {
      depth--;
      if (depth === 0 && start >= 0) {
        out.push(JSON.parse(text.slice(start, i + 1)));
        start = -1;
      }
    }
  }
  return out;
}

type Json = Record<string, unknown>;

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** The filters of one `filter show dev DEV ingress` answer (the per-prio header rows skipped). */
export function parseFilters(dev: string, rows: unknown): KernelFilter[] {
  if (!Array.isArray(rows)) return [];
  const out: KernelFilter[] = [];
  for (const r of rows as Json[]) {
    const o = r?.options as Json | undefined;
    if (!o || r.kind !== 'flower' || typeof o.handle !== 'number') continue;
    const actions = Array.isArray(o.actions) ? (o.actions as Json[]) : [];
    const first = (actions[0]?.stats ?? {}) as Json;
    const last = actions[actions.length - 1];
    out.push({
      dev,
      chain: num(r.chain),
      prio: num(r.pref),
      protocol: typeof r.protocol === 'string' ? r.protocol : 'all',
      handle: o.handle,
      cookie: typeof last?.cookie === 'string' ? last.cookie : null,
      inHw: o.in_hw === true,
      packets: num(first.packets),
      bytes: num(first.bytes),
      drops: actions.reduce((n, a) => n + num((a.stats as Json | undefined)?.drops), 0),
    });
  }
  return out;
}

/**
 * Line number (1-based) → what went wrong there, from a `tc -force -batch -` stderr: the
 * lines before each `Command failed -:N` since the previous one, minus iproute2's filler.
 */
export function batchErrors(stderr: string): Map<number, string> {
  const out = new Map<number, string>();
  let pending: string[] = [];
  for (const raw of stderr.split('\n')) {
    const line = raw.trim();
    const m = /^Command failed .*:(\d+)$/.exec(line);
    if (m) {
      out.set(Number(m[1]), pending.join('; ') || 'refused (no reason given)');
      pending = [];
    } else if (line && line !== 'We have an error talking to the kernel') {
      pending.push(line.replace(/^Error: /, '').replace(/^RTNETLINK answers: /, ''));
    }
  }
  return out;
}
