/**
 * GET /v1/events: server-sent events of the daemon's bus (audit entries, VF status, config
 * changes, stats ticks). `?types=audit,vfStatus` narrows the stream. A comment line every
 * 15 s keeps proxies from closing an idle stream.
 *
 * Audit frames carry `id: SEQ` (the audit sequence number, which continues across restarts).
 * A client reconnecting with `Last-Event-ID: SEQ` (EventSource does so by itself) first gets
 * every audit entry after SEQ read back from audit.log, then the live stream: live events
 * are held while the log is read, and an entry is never sent twice. The other events are
 * state, not history: a client re-reads /v1/vfs after a reconnect.
 *
 * GET /v1/audit?before=SEQ&limit=N: the audit log, paged, newest first.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DaemonError } from '../../daemon/errors.js';
import type { Daemon } from '../../daemon/service.js';
import { AuditQuery, type DaemonEvent } from '../../model/index.js';
import { parseBody } from '../bodies.js';

const HEARTBEAT_MS = 15_000;
/** The most entries one resume replays (a client gone for longer sees a gap in seq). */
const REPLAY_MAX = 10_000;

function lastEventId(req: FastifyRequest): number | null {
  const raw = req.headers['last-event-id'];
  if (raw === undefined || raw === '') return null;
  const v = Array.isArray(raw) ? raw[0] : raw;
  if (!/^\d{1,15}$/.test(v))
    throw new DaemonError(
      'invalid',
      `events: Last-Event-ID ${JSON.stringify(v)} is not an audit sequence number: send the id: of the last event received (an integer ≥ 0), or no header to start live`,
    );
  return Number(v);
}

function frame(event: DaemonEvent): string {
  const id = event.type === 'audit' ? `id: ${event.entry.seq}\n` : '';
  return `${id}event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export function eventRoutes(app: FastifyInstance, daemon: Daemon): void {
  const open = new Set<ServerResponse>();
  app.addHook('onClose', async () => {
    for (const res of open) res.end();
  });
  app.get('/v1/audit', async (req) => {
    const q = parseBody(AuditQuery, req.query, 'audit');
    return daemon.auditPage(q.before ?? null, q.limit);
  });
  app.get('/v1/events', async (req, reply) => {
    const q = (req.query as { types?: string }).types;
    const types = q ? new Set(q.split(',')) : null;
    const resume = lastEventId(req);
    // A Last-Event-ID beyond the log (a wiped state dir) resumes from what the log holds.
    let sent = resume === null ? 0 : Math.min(resume, daemon.auditSeq);
    const send = (event: DaemonEvent) => {
      if (types && !types.has(event.type)) return;
      if (event.type === 'audit') {
        if (event.entry.seq <= sent) return;
        sent = event.entry.seq;
      }
      res.write(frame(event));
    };
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.write(': nicvisor events\n\n');
    open.add(res);
    let held: DaemonEvent[] | null = resume === null ? null : [];
    const unsubscribe = daemon.bus.subscribe((event) => {
      if (held) held.push(event);
      else send(event);
    });
    const beat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    beat.unref();
    res.on('close', () => {
      clearInterval(beat);
      unsubscribe();
      open.delete(res);
    });
    if (held && (!types || types.has('audit'))) {
      try {
        for (const entry of await daemon.auditSince(sent, REPLAY_MAX))
          if (!res.destroyed) send({ type: 'audit', entry });
      } catch (err) {
        req.log.error(
          { err, reqId: req.id },
          'reading the audit log to resume an event stream failed',
        );
      }
    }
    const rest = held ?? [];
    held = null;
    for (const e of rest) if (!res.destroyed) send(e);
  });
}
