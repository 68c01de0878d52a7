/**
 * Human-readable log lines for a terminal: `12:00:01.234 INFO  api: Server listening … key=value`.
 * pino writes JSON; on a TTY each line goes through prettyLine. A 60-line formatter instead of
 * pino-pretty: it runs inline (no worker thread, no transport to flush at exit) and adds no
 * dependency tree to the daemon; journald and log shippers get pino's JSON untouched.
 */
const LEVELS: Record<number, [string, string]> = {
  10: ['TRACE', '\x1b[90m'],
  20: ['DEBUG', '\x1b[36m'],
  30: ['INFO ', '\x1b[32m'],
  40: ['WARN ', '\x1b[33m'],
  50: ['ERROR', '\x1b[31m'],
  60: ['FATAL', '\x1b[35m'],
};
const RESET = '\x1b[0m';
/** Fields every line has, shown in the prefix or not at all. */
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'component', 'v']);

function clock(ms: unknown): string {
  const d = typeof ms === 'number' ? new Date(ms) : new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

/** One pino JSON line → one readable line (a line that is not JSON passes through). */
export function prettyLine(line: string, color = false): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof o !== 'object' || o === null) return line;
  const [name, tint] = LEVELS[o.level as number] ?? [String(o.level).padEnd(5), ''];
  const level = color && tint ? `${tint}${name}${RESET}` : name;
  const component = typeof o.component === 'string' ? `${o.component}: ` : '';
  const rest: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (SKIP.has(k) || v === undefined) continue;
    if (k === 'err' && v && typeof v === 'object' && 'stack' in v) {
      rest.push(`\n${String((v as { stack: unknown }).stack)}`);
      continue;
    }
    rest.push(`${k}=${value(v)}`);
  }
  const msg = typeof o.msg === 'string' ? o.msg : '';
  return `${clock(o.time)} ${level} ${component}${msg}${rest.length ? ` ${rest.join(' ')}` : ''}`;
}

/** A pino destination that writes readable lines to fd 2 (stderr). */
export function prettyDestination(color: boolean): { write(chunk: string): void } {
  return {
    write(chunk: string) {
      const lines = chunk.split('\n').filter((l) => l !== '');
      process.stderr.write(`${lines.map((l) => prettyLine(l, color)).join('\n')}\n`);
    },
  };
}
