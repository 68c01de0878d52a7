/**
 * `nicvisor events` and `nicvisor audit`: the daemon's event stream (GET /v1/events,
 * server-sent events) as one line per event, or one JSON line per event with --json.
 */
import type { Command } from 'commander';
import type { AuditEntry, DaemonEvent } from '../../model/index.js';
import { DAEMON_EVENT_TYPES } from '../../model/plain.js';
import type { ApiClient } from '../client.js';
import { type ConnectOptions, withClient } from '../connect.js';
import { CliError, EXIT } from '../output.js';
import { SseParser } from '../sse.js';

export const EVENT_TYPES: string[] = [...DAEMON_EVENT_TYPES];

const RECONNECT_MS = 1000;

const list = (names: string[]) => `[${names.join(', ')}]`;

export function auditLine(e: AuditEntry): string {
  const req = e.request === undefined || e.request === null ? '' : ` ${JSON.stringify(e.request)}`;
  // One entry, one line (a refusal's reason lists its problems on several).
  const reason = e.reason.replace(/\s*\n\s*/g, ' ');
  return `#${e.seq} ${e.time} ${e.who} via ${e.via} ${e.action} ${e.target}${req}: ${e.result} (${reason})`;
}

/** One event as a line of text. */
export function eventLine(e: DaemonEvent): string {
  switch (e.type) {
    case 'audit':
      return `audit ${auditLine(e.entry)}`;
    case 'vfStatus':
      return `vfStatus ${e.name} ${e.status.syncState}${e.status.lastError ? `: ${e.status.lastError}` : ''}`;
    case 'vfChanged':
      return `vfChanged ${e.name} ${e.revision === null ? 'deleted' : `revision ${e.revision}`}`;
    case 'stats':
      return `stats read at ${e.at}`;
    case 'claim':
      return `claim ${e.claim} of pool ${e.pool} ${e.change} (${e.owner})`;
    case 'reload':
      return `reload added ${list(e.added)} changed ${list(e.changed)} removed ${list(e.removed)}`;
    default:
      return `${(e as { type: string }).type} ${JSON.stringify(e)}`;
  }
}

export interface StreamOptions {
  types: string[];
  follow: boolean;
  /** Stop after this many events (0: never). */
  count: number;
  /** Resume after this event id (the audit seq): the daemon replays what came after it. */
  after?: string;
  print: (event: DaemonEvent, raw: string) => void;
}

function parseTypes(value: string | undefined, fallback: string[]): string[] {
  if (value === undefined) return fallback;
  const types = value.split(',').filter((t) => t !== '');
  const bad = types.filter((t) => !EVENT_TYPES.includes(t));
  if (bad.length > 0 || types.length === 0)
    throw new CliError(
      `--types ${value}: ${bad.length ? `unknown ${list(bad)}` : 'empty'}; the event types are ${EVENT_TYPES.join(', ')}`,
      EXIT.usage,
    );
  return types;
}

function parseCount(value: string | undefined, what = '--count', max = Infinity): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new CliError(
      `${what} ${value} is not a whole number of ${max === Infinity ? 'at least 1' : `1-${max}`}`,
      EXIT.usage,
    );
  return n;
}

/**
 * Read the stream until it ends (or --count events); with follow, reconnect when the daemon
 * goes away, sending Last-Event-ID so a daemon that numbers its events resumes without gaps.
 */
export async function streamEvents(c: ApiClient, o: StreamOptions): Promise<void> {
  let seen = 0;
  let lastId: string | undefined = o.after;
  let warned = false;
  const path = `/v1/events?types=${o.types.join(',')}`;
  for (;;) {
    const parser = new SseParser();
    const abort = new AbortController();
    const stop = new Promise<void>((resolve, reject) => {
      const headers: Record<string, string> = lastId ? { 'last-event-id': lastId } : {};
      c.stream(
        path,
        headers,
        (chunk) => {
          for (const m of parser.push(chunk)) {
            if (m.id !== undefined) lastId = m.id;
            let event: DaemonEvent;
            try {
              event = JSON.parse(m.data) as DaemonEvent;
            } catch {
              continue; // not ours to judge: skip a frame that is not JSON
            }
            o.print(event, m.data);
            seen++;
            if (o.count > 0 && seen >= o.count) resolve();
          }
        },
        abort.signal,
      ).then(resolve, reject);
    });
    try {
      await stop;
      abort.abort(); // --count reached: close the connection (a settled promise ignores it)
      warned = false;
    } catch (err) {
      if (!o.follow) throw err;
      if (!warned) process.stderr.write(`nicvisor: ${(err as Error).message}; retrying\n`);
      warned = true;
    }
    if ((o.count > 0 && seen >= o.count) || !o.follow) return;
    await new Promise((r) => setTimeout(r, RECONNECT_MS));
  }
}

interface EventsCliOptions extends ConnectOptions {
  types?: string;
  follow?: boolean;
  count?: string;
  limit?: string;
  before?: string;
}

/** `nicvisor audit`: a page of history (oldest first on screen), then live entries with -f. */
async function audit(c: ApiClient, opts: EventsCliOptions): Promise<void> {
  const count = parseCount(opts.count);
  const print = (e: AuditEntry) =>
    process.stdout.write(`${opts.json ? JSON.stringify(e) : auditLine(e)}\n`);
  let after: string | undefined;
  if (count === 0) {
    const limit = parseCount(opts.limit, '--limit', 1000) || 20;
    const before = opts.before === undefined ? undefined : parseCount(opts.before, '--before');
    const page = await c.auditPage({ before, limit });
    if (opts.json && !opts.follow) process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
    else for (const e of [...page.entries].reverse()) print(e);
    if (!opts.follow) {
      if (page.next !== null && !opts.json)
        process.stderr.write(`(older entries: nicvisor audit --before ${page.next})\n`);
      return;
    }
    after = page.entries[0] ? String(page.entries[0].seq) : undefined;
  }
  await streamEvents(c, {
    types: ['audit'],
    follow: !!opts.follow,
    count,
    after,
    print: (e) => {
      if (e.type === 'audit') print(e.entry);
    },
  });
}

export function register(program: Command): void {
  program
    .command('events')
    .description(
      'print the daemon events (audit, vfStatus, vfChanged, stats, lag, claim, reload) as they happen, until the daemon stops',
    )
    .option(
      '--types <list>',
      `comma-separated, of ${EVENT_TYPES.join(', ')} (default: all but stats)`,
    )
    .option('-f, --follow', 'keep going across daemon restarts (reconnect, resume by event id)')
    .option('--count <n>', 'exit after n events')
    .addHelpText(
      'after',
      '\nExamples:\n  $ nicvisor events --follow\n  $ nicvisor events --types audit,reload --json | jq .\n  $ nicvisor events --types vfStatus --count 1',
    )
    .action(async (opts: EventsCliOptions) => {
      const types = parseTypes(
        opts.types,
        EVENT_TYPES.filter((t) => t !== 'stats'),
      );
      const count = parseCount(opts.count);
      await withClient(opts, (c) =>
        streamEvents(c, {
          types,
          follow: !!opts.follow,
          count,
          print: (e, raw) => process.stdout.write(`${opts.json ? raw : eventLine(e)}\n`),
        }),
      );
    });

  program
    .command('audit')
    .description(
      'the audit log (every guest decision and every change: who asked, what, the answer), oldest first',
    )
    .option('--limit <n>', 'entries of history to print (1-1000)', '20')
    .option('--before <seq>', 'history older than this sequence number (paging back)')
    .option('-f, --follow', 'after the history, print new entries as they are written')
    .option('--count <n>', 'print the next n new entries (no history), then exit')
    .addHelpText(
      'after',
      '\nExamples:\n  $ nicvisor audit\n  $ nicvisor audit --limit 100 --before 4711\n  $ nicvisor audit -f --json | jq .',
    )
    .action(async (opts: EventsCliOptions) => {
      await withClient(opts, (c) => audit(c, opts));
    });
}
