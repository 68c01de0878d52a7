/**
 * Least privilege of the API: the socket is 0660 with the configured group; TCP refuses to
 * start without a token and answers 401 without one; a guest credential for VF A gets 403 on
 * VF B and on every admin route (every route the server registers, so new routes are
 * covered); bodies over the limit get 413; a flooding guest gets 429 while a quiet VF on the
 * same daemon gets every answer.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import Fastify from 'fastify';
import { ApiServer, buildApp, ROUTES } from '../../src/api/server.js';
import type { Daemon } from '../../src/daemon/service.js';
import type { VfPolicyInput } from '../../src/model/index.js';
import { killHard, PFS, procEnv, startProc } from './daemon-proc.js';
import { call, resetAgents, type Target } from './http.js';
import { SPF0, simDaemon } from './sim-daemon.js';

const A: VfPolicyInput = { name: 'a', pf: SPF0, vf: 0, vlans: [10], macs: ['02:00:00:00:aa:00'] };
const B: VfPolicyInput = { name: 'b', pf: SPF0, vf: 1, vlans: [10], macs: ['02:00:00:00:bb:00'] };
const TOKEN = 'admin-token-0123456789abcdef';

/** Every (method, url) the API registers, collected with an onRoute hook. */
/**
 * Every route that needs a credential. The dashboard's static files are public by design
 * (auth.ts: no data, no secrets); this fails if anything under /v1 or /metrics is public.
 */
function allRoutes(daemon: Daemon): { method: string; url: string }[] {
  const app = Fastify();
  const out: { method: string; url: string }[] = [];
  app.addHook('onRoute', (r) => {
    if ((r.config as { public?: boolean } | undefined)?.public === true) {
      assert.ok(!/^\/(v1|metrics|healthz)/.test(r.url), `public route ${r.url} serves data`);
      return;
    }
    for (const m of [r.method].flat()) if (m !== 'HEAD') out.push({ method: m, url: r.url });
  });
  for (const r of ROUTES) r(app, daemon);
  return out;
}

test('socket 0660 with the configured group; TCP refuses to start without a token', async () => {
  const s = await simDaemon([A, B]);
  const socket = join(s.dir, 'api.sock');
  try {
    const gid = process.getgid?.() ?? 0;
    const server = new ApiServer(s.daemon, { socket, socketGroup: String(gid), bodyLimit: 65536 });
    await server.start();
    const st = await stat(socket);
    assert.equal(st.mode & 0o777, 0o660, `socket mode ${(st.mode & 0o777).toString(8)}`);
    assert.equal(st.gid, gid);
    await server.stop();
    for (const tcp of [
      { host: '127.0.0.1', port: 0 },
      { host: '127.0.0.1', port: 0, token: 'short' },
    ]) {
      const bad = new ApiServer(s.daemon, { socket, tcp, bodyLimit: 65536 });
      await assert.rejects(bad.start(), /needs a bearer token of at least 16 characters/);
      assert.ok(!existsSync(socket), 'nothing was opened before refusing');
    }
  } finally {
    await s.cleanup();
  }
});

test('TCP answers 401 without a valid token; a guest credential reaches only its own VF', async () => {
  const s = await simDaemon([A, B]);
  const socket = join(s.dir, 'api.sock');
  const server = new ApiServer(s.daemon, {
    socket,
    tcp: { host: '127.0.0.1', port: 0, token: TOKEN },
    bodyLimit: 65536,
  });
  try {
    await server.start();
    const port = Number(new URL(server.addresses[1]).port);
    for (const token of [undefined, 'wrong-token-wrong-token', '']) {
      const r = await call({ port, ...(token !== undefined ? { token } : {}) }, 'GET', '/v1/vfs');
      assert.equal(r.status, 401, `token ${JSON.stringify(token)}: ${r.text}`);
    }
    assert.equal((await call({ port, token: TOKEN }, 'GET', '/v1/vfs')).status, 200);
    const cred = await call({ socketPath: socket }, 'POST', '/v1/vfs/a/credential');
    const guest = (cred.body as { token: string }).token;
    const req = { type: 'setMtu', mtu: 1400 };
    let forbidden = 0;
    for (const t of [
      { port, token: guest },
      { socketPath: socket, token: guest },
    ]) {
      assert.equal((await call(t, 'POST', '/v1/vfs/a/requests', req)).status, 200, 'own VF');
      for (const { method, url } of allRoutes(s.daemon)) {
        const own = url === '/v1/vfs/:name/requests' || url === '/healthz';
        for (const name of own ? ['b'] : ['a', 'b']) {
          if (url === '/healthz') continue;
          const path = url.replace(':name', name);
          const body = method === 'GET' || method === 'DELETE' ? undefined : {};
          const r = await call(t, method, path, body);
          assert.equal(
            r.status,
            403,
            `guest of a: ${method} ${path} → ${r.status} ${r.text.slice(0, 100)}`,
          );
          forbidden += 1;
        }
      }
    }
    console.log(
      `privilege: a guest credential of VF a got 403 on ${forbidden} admin/other-VF requests (TCP and socket), 401 without a token`,
    );
  } finally {
    await server.stop();
    resetAgents();
    await s.cleanup();
  }
});

test('bodies over the limit get 413 and change nothing', async () => {
  const s = await simDaemon([A, B]);
  const app = buildApp(s.daemon, { mode: 'socket', adminToken: null }, 4096);
  try {
    const r = await app.inject({
      method: 'PUT',
      url: '/v1/vfs/a',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ ...A, notes: 'x'.repeat(8192) }),
    });
    assert.equal(r.statusCode, 413);
    assert.match(r.json().error, /limit is 4096 bytes/);
    assert.deepEqual(s.daemon.getVf('a').policy.vlans, [10]);
  } finally {
    await app.close();
    await s.cleanup();
  }
});

/** Latencies (ms) of `n` paced guest requests of VF b. */
async function quietRun(t: Target, n: number): Promise<{ ms: number[]; answers: string[] }> {
  const ms: number[] = [];
  const answers: string[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await call(t, 'POST', '/v1/vfs/b/requests', { type: 'setMtu', mtu: 1400 + (i % 2) });
    ms.push(performance.now() - t0);
    answers.push(`${r.status}:${(r.body as { result?: string }).result}`);
    await new Promise((res) => setTimeout(res, 25));
  }
  return { ms, answers };
}

function pct(xs: number[], q: number): string {
  const sorted = [...xs].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(2);
}

test('a flooding guest is rate-limited (429) and a quiet VF still gets every answer', async () => {
  // The real daemon in its own process, so the flooding client does not share its event loop.
  const env = await procEnv({ guestRequestsPerSecond: 50, guestRequestBurst: 20 });
  const proc = await startProc(env);
  const t: Target = { socketPath: env.socket };
  try {
    assert.equal(
      (await call(t, 'POST', '/v1/apply', { vfs: [A, B].map((p) => ({ ...p, pf: PFS[0] })) }))
        .status,
      200,
    );
    const base = await quietRun(t, 40);
    let flooding = true;
    const codes = new Map<number, number>();
    const flood = async () => {
      while (flooding) {
        const r = await call(t, 'POST', '/v1/vfs/a/requests', {
          type: 'setPromisc',
          enable: false,
        });
        codes.set(r.status, (codes.get(r.status) ?? 0) + 1);
      }
    };
    const floods = Array.from({ length: 8 }, flood);
    const quiet = await quietRun(t, 40);
    flooding = false;
    await Promise.all(floods);
    const limited = codes.get(429) ?? 0;
    const total = [...codes.values()].reduce((x, y) => x + y, 0);
    assert.ok(limited > 0, `the flooder was never limited: ${JSON.stringify([...codes])}`);
    assert.ok(
      quiet.answers.every((a) => a.startsWith('200:')),
      `quiet VF answers: ${quiet.answers.join(' ')}`,
    );
    console.log(
      `flood: VF a sent ${total} requests, ${limited} got 429; quiet VF b got ${quiet.answers.length}/40 answers, ` +
        `p50 ${pct(quiet.ms, 0.5)} ms p99 ${pct(quiet.ms, 0.99)} ms while a flooded (alone: p50 ${pct(base.ms, 0.5)} ms p99 ${pct(base.ms, 0.99)} ms)`,
    );
  } finally {
    await killHard(proc);
    resetAgents();
    await rm(env.dir, { recursive: true, force: true });
  }
});
