import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { type ClientRequest, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApiServer } from '../../src/api/server.js';
import { ApiClient, ApiRequestError } from '../../src/cli/client.js';
import type { AuditEntry, AuditPageView, DaemonEvent } from '../../src/model/index.js';
import { type Harness, PF0, PF1, startHarness, until } from '../daemon/harness.js';

interface Served {
  h: Harness;
  server: ApiServer;
  socket: string;
  admin: ApiClient;
  stop(): Promise<void>;
}

async function serve(h: Harness): Promise<Served> {
  const socket = join(h.dir, 'api.sock');
  const server = new ApiServer(h.daemon, { socket, bodyLimit: 4096 });
  await server.start();
  const admin = new ApiClient({ socket });
  return {
    h,
    server,
    socket,
    admin,
    async stop() {
      admin.close();
      await server.stop();
    },
  };
}

async function auditLines(h: Harness): Promise<AuditEntry[]> {
  const text = await readFile(join(h.stateDir, 'audit.log'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as AuditEntry);
}

/** An SSE stream parsed into frames, as EventSource would see them. */
interface Stream {
  frames: { id: string | null; event: string; data: DaemonEvent }[];
  req: ClientRequest;
  /** The server has sent its first line (it is subscribed). */
  open: boolean;
}

function openStream(socket: string, path: string, headers: Record<string, string> = {}): Stream {
  const s: Stream = { frames: [], req: null as unknown as ClientRequest, open: false };
  let buf = '';
  s.req = httpRequest({ socketPath: socket, path, headers }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      buf += c;
      s.open = true;
      let end = buf.indexOf('\n\n');
      while (end >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        end = buf.indexOf('\n\n');
        const fields = new Map<string, string>();
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const i = line.indexOf(': ');
          fields.set(line.slice(0, i), line.slice(i + 2));
        }
        if (!fields.has('data')) continue;
        s.frames.push({
          id: fields.get('id') ?? null,
          event: fields.get('event') ?? '',
          data: JSON.parse(fields.get('data') as string) as DaemonEvent,
        });
      }
    });
  });
  s.req.on('error', () => {});
  s.req.end();
  return s;
}

const seqs = (s: Stream) =>
  s.frames.flatMap((f) => (f.data.type === 'audit' ? [f.data.entry.seq] : []));

test('audit seq continues across a restart; a drift repair is an audit entry', async () => {
  const h = await startHarness();
  try {
    await h.daemon.setLogLevel('debug', 'admin');
    await h.daemon.setLogLevel('info', 'admin');
    const before = await auditLines(h);
    await h.restart();
    h.daemon.setLogLevel('warn', 'admin');
    h.fake.poke(PF1, 0, { maxTxRate: 5 });
    await h.daemon.checkDrift('test');
    const all = await auditLines(h);
    assert.deepEqual(
      all.map((e) => e.seq),
      Array.from({ length: all.length }, (_, i) => i + 1),
      'one numbering for the whole file, no duplicates',
    );
    assert.ok(all.length >= before.length + 2);
    const repair = all.at(-1) as AuditEntry;
    assert.equal(repair.action, 'drift.repair');
    assert.equal(repair.target, 'db-1');
    assert.equal(repair.who, 'daemon');
    assert.equal(repair.result, 'ok');
    const req = repair.request as { reason: string; steps: string[] };
    assert.equal(req.steps.length, 1);
    assert.match(req.steps[0], /vf 0 \(db-1\) maxTxRate: desired 1000 current 5/);
    assert.equal(h.daemon.getVf('db-1').status.repairs, 1);
  } finally {
    await h.cleanup();
  }
});

test('a repair that fails is audited as failed, with the error', async () => {
  const h = await startHarness();
  try {
    h.fake.poke(PF0, 1, { vlans: [7] });
    h.fake.failWhen = (step) =>
      'vf' in step && step.vf === 1 ? 'injected: the NIC refused the VLAN' : null;
    await h.daemon.checkDrift('test');
    const e = (await auditLines(h)).filter((x) => x.action === 'drift.repair');
    assert.equal(e.length, 1);
    assert.equal(e[0].target, 'web-2');
    assert.equal(e[0].result, 'failed');
    assert.match(e[0].reason, /repair failed: .+; retrying/);
  } finally {
    await h.cleanup();
  }
});

test('GET /v1/audit pages the history newest first; bad queries are refused', async () => {
  const h = await startHarness();
  const s = await serve(h);
  try {
    for (let i = 0; i < 25; i++) h.daemon.setLogLevel(i % 2 ? 'info' : 'debug', 'admin');
    const last = h.daemon.auditSeq;
    const p1 = await s.admin.request<AuditPageView>('GET', '/v1/audit?limit=10');
    assert.deepEqual(
      p1.entries.map((e) => e.seq),
      Array.from({ length: 10 }, (_, i) => last - i),
    );
    assert.equal(p1.next, last - 9);
    const p2 = await s.admin.request<AuditPageView>('GET', `/v1/audit?limit=10&before=${p1.next}`);
    assert.equal(p2.entries[0].seq, last - 10);
    const rest = await s.admin.request<AuditPageView>('GET', `/v1/audit?before=${p2.next}`);
    assert.equal(rest.next, null, 'the oldest page says so');
    assert.equal(rest.entries.at(-1)?.seq, 1);
    for (const bad of ['limit=0', 'limit=5000', 'before=x', 'after=3']) {
      await assert.rejects(
        s.admin.request('GET', `/v1/audit?${bad}`),
        (err: unknown) =>
          err instanceof ApiRequestError && err.status === 400 && /audit/.test(err.message),
        bad,
      );
    }
    const doc = await s.admin.request<{ paths: Record<string, unknown> }>(
      'GET',
      '/v1/openapi.json',
    );
    assert.ok(doc.paths['/v1/audit']);
  } finally {
    await s.stop();
    await h.cleanup();
  }
});

test('SSE audit frames carry id:, and Last-Event-ID resumes without gaps or repeats', async () => {
  const h = await startHarness();
  const s = await serve(h);
  try {
    const first = openStream(s.socket, '/v1/events');
    await until(() => first.open, 3000, 'stream open');
    for (let i = 0; i < 3; i++) h.daemon.setLogLevel('debug', 'admin');
    await until(() => seqs(first).length === 3, 3000, 'three audit frames');
    for (const f of first.frames.filter((x) => x.event === 'audit'))
      assert.equal(f.id, String((f.data as { entry: AuditEntry }).entry.seq));
    const lastId = first.frames.filter((f) => f.id !== null).at(-1)?.id as string;
    first.req.destroy();
    // While no client listens, the daemon goes on deciding things.
    for (let i = 0; i < 4; i++) h.daemon.setLogLevel('info', 'admin');
    const resumed = openStream(s.socket, '/v1/events?types=audit', { 'last-event-id': lastId });
    await until(() => seqs(resumed).length >= 4, 3000, 'the missed entries');
    h.daemon.setLogLevel('warn', 'admin');
    await until(() => seqs(resumed).length >= 5, 3000, 'a live entry after the replay');
    const n = Number(lastId);
    assert.deepEqual(seqs(resumed), [n + 1, n + 2, n + 3, n + 4, n + 5]);
    resumed.req.destroy();
    const bad = await new Promise<number>((resolve) => {
      const r = httpRequest(
        { socketPath: s.socket, path: '/v1/events', headers: { 'last-event-id': 'abc' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      r.end();
    });
    assert.equal(bad, 400);
  } finally {
    await s.stop();
    await h.cleanup();
  }
});

test('Last-Event-ID survives a daemon restart (the log is the source)', async () => {
  const h = await startHarness();
  let s = await serve(h);
  try {
    h.daemon.setLogLevel('debug', 'admin');
    const seen = h.daemon.auditSeq;
    await s.stop();
    await h.restart();
    s = await serve(h);
    h.daemon.setLogLevel('info', 'admin');
    h.daemon.setLogLevel('warn', 'admin');
    const st = openStream(s.socket, '/v1/events?types=audit', { 'last-event-id': String(seen) });
    await until(() => seqs(st).length >= 2, 3000, 'entries written after the restart');
    assert.deepEqual(seqs(st), [seen + 1, seen + 2]);
    st.req.destroy();
  } finally {
    await s.stop();
    await h.cleanup();
  }
});
