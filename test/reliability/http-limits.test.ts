/**
 * What an API client can hold and send: a trickled body is cut off by the request timeout
 * (on TCP without a token too), connections beyond the cap are refused, a `Host` outside the
 * allow-list gets 400 naming it, a key given twice in a body is refused naming it, bad URL
 * encoding and an over-long name are our 400 naming the field, and an audit log that cannot
 * be written never changes an answer.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApiServer, buildApp } from '../../src/api/server.js';
import { DaemonError } from '../../src/daemon/errors.js';
import { VfPolicy } from '../../src/model/index.js';
import { call, resetAgents } from './http.js';
import { SPF0, simDaemon, until } from './sim-daemon.js';

const TOKEN = 'admin-token-0123456789abcdef';
const A = { name: 'a', pf: SPF0, vf: 0, vlans: [10], macs: ['02:00:00:00:aa:00'] };

async function tcpServer(limits = {}, allowedHosts?: string[]) {
  const s = await simDaemon([A]);
  const server = new ApiServer(s.daemon, {
    socket: join(s.dir, 'api.sock'),
    tcp: { host: '127.0.0.1', port: 0, token: TOKEN, ...(allowedHosts ? { allowedHosts } : {}) },
    bodyLimit: 65536,
    limits,
  });
  await server.start();
  const port = Number(new URL(server.addresses[1]).port);
  return {
    s,
    port,
    async close() {
      await server.stop();
      resetAgents();
      await s.cleanup();
    },
  };
}

function open(port: number): Promise<Socket> {
  return new Promise((ok, fail) => {
    const c = connect({ port, host: '127.0.0.1' }, () => ok(c));
    c.on('error', fail);
  });
}

test('a body trickled byte by byte is cut off by the request timeout, without any token', async () => {
  const t = await tcpServer({
    requestTimeoutMs: 1000,
    headersTimeoutMs: 1000,
    checkIntervalMs: 100,
  });
  try {
    const c = await open(t.port);
    let answer = '';
    let closed = false;
    c.on('data', (d) => {
      answer += d;
    });
    c.on('close', () => {
      closed = true;
    });
    c.on('error', () => {});
    const body = '{"type":"setMtu","mtu":1400}'.padEnd(200, ' ');
    c.write(
      `POST /v1/vfs/a/requests HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    let sent = 0;
    // 200 bytes at one per 100 ms would take 20 s; the server must not wait for them.
    while (!closed && sent < body.length) {
      c.write(body[sent++]);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(closed, 'the server closed the connection');
    assert.ok(sent < body.length, `the whole body (${sent} bytes) was accepted`);
    assert.match(answer, /HTTP\/1\.1 408 Request Timeout/, `answer: ${answer.slice(0, 60)}`);
  } finally {
    await t.close();
  }
});

test('connections beyond the cap are refused; the ones held keep working', async () => {
  const t = await tcpServer({ maxConnections: 3 });
  const socks: Socket[] = [];
  try {
    const closed = new Set<number>();
    for (let i = 0; i < 6; i++) {
      const c = await open(t.port);
      c.on('close', () => closed.add(i));
      c.on('error', () => {});
      socks.push(c);
    }
    await until(() => closed.size >= 3, 5000, 'the server to drop connections over the cap');
    assert.deepEqual([...closed].sort(), [3, 4, 5], 'the first three are kept');
  } finally {
    for (const c of socks) c.destroy();
    await t.close();
  }
});

test('a Host outside the allow-list gets 400 naming it; an allowed one is served', async () => {
  const t = await tcpServer({}, ['nicvisor.example']);
  try {
    const bad = await call({ port: t.port, token: TOKEN }, 'GET', '/v1/vfs', undefined, {
      host: 'evil.example:7710',
    });
    assert.equal(bad.status, 400, bad.text);
    const p = (bad.body as { problems: { field: string; value: string }[] }).problems[0];
    assert.deepEqual([p.field, p.value], ['Host', 'evil.example']);
    assert.match((bad.body as { error: string }).error, /daemon\.tcp\.allowedHosts/);
    const good = await call({ port: t.port, token: TOKEN }, 'GET', '/v1/vfs', undefined, {
      host: 'NicVisor.example:7710',
    });
    assert.equal(good.status, 200, good.text);
  } finally {
    await t.close();
  }
  // By default loopback names work (the dashboard link uses 127.0.0.1).
  const d = await tcpServer();
  try {
    assert.equal((await call({ port: d.port, token: TOKEN }, 'GET', '/v1/vfs')).status, 200);
    const r = await call({ port: d.port, token: TOKEN }, 'GET', '/v1/vfs', undefined, {
      host: 'rebound.attacker.example',
    });
    assert.equal(r.status, 400);
  } finally {
    await d.close();
  }
});

test('a key given twice, bad URL encoding and an over-long name: 400 naming the field', async () => {
  const s = await simDaemon([A]);
  const app = buildApp(s.daemon, { mode: 'socket', adminToken: null }, 65536);
  try {
    const twice = await app.inject({
      method: 'PUT',
      url: '/v1/vfs/a',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":"a","pf":"sim:nic0/0","vf":0,"vlans":[10],"trust":false,"trust":true}',
    });
    assert.equal(twice.statusCode, 400, twice.body);
    const tp = twice.json().problems[0];
    assert.equal(tp.field, 'trust');
    assert.match(tp.message, /key "trust" twice/);
    assert.equal(s.daemon.getVf('a').policy.trust, false, 'nothing changed');
    for (const url of ['/v1/vfs/%E0%A4%A', '/v1/vfs/%zz', `/v1/vfs/${'a'.repeat(1025)}`]) {
      const r = await app.inject({ method: 'GET', url });
      assert.equal(r.statusCode, 400, `${url.slice(0, 20)}: ${r.statusCode} ${r.body}`);
      assert.equal(r.json().problems[0].field, 'name', r.body);
      assert.match(r.json().problems[0].allowed, /1-64 characters/);
    }
  } finally {
    await app.close();
    await s.cleanup();
  }
});

test('a route that declares a fastify schema is refused at set-up, naming the route (bodies go through zod)', async () => {
  const s = await simDaemon([A]);
  const app = buildApp(s.daemon, { mode: 'socket', adminToken: null }, 65536);
  try {
    app.post('/v1/x', { schema: { body: { type: 'object' } } }, async () => ({}));
    await assert.rejects(async () => {
      await app.ready();
    }, /route POST \/v1\/x: fastify body schemas are not used here; check the body with a zod schema/);
  } finally {
    await app.close().catch(() => {});
    await s.cleanup();
  }
});

test('an audit log that cannot be written (a full disk) never changes an answer', async () => {
  const s = await simDaemon([A], { auditLog: { path: '/dev/full' } });
  try {
    const bad = VfPolicy.parse({
      ...A,
      name: 'b',
      vf: 1,
      vlans: [10],
      macs: ['02:00:00:00:aa:00'],
    });
    const err = await s.daemon.putVf(bad, 'test').then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof DaemonError && err.kind === 'refused', `got ${err}`);
    const ok = await s.daemon.putVf(VfPolicy.parse({ ...A, vlans: [11] }), 'test');
    assert.equal(ok.changed, true);
  } finally {
    await s.cleanup();
  }
});
