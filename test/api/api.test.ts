import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ApiServer } from '../../src/api/server.js';
import { ApiClient, ApiRequestError } from '../../src/cli/client.js';
import type { DaemonEvent } from '../../src/model/index.js';
import { type Harness, PF0, snapshotFiles, startHarness } from '../daemon/harness.js';

let h: Harness;
let server: ApiServer;
let socket: string;
let admin: ApiClient;

before(async () => {
  h = await startHarness();
  socket = join(h.dir, 'api.sock');
  server = new ApiServer(h.daemon, { socket, bodyLimit: 4096 });
  await server.start();
  admin = new ApiClient({ socket });
});

after(async () => {
  admin.close();
  await server.stop();
  await h.cleanup();
});

/** Raw request over the socket (for bodies the typed client would never send). */
function raw(
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: { error?: string; problems?: { field: string }[] } }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        socketPath: socket,
        method,
        path,
        headers: { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : {} }),
        );
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function expectStatus(p: Promise<unknown>, status: number): Promise<ApiRequestError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiRequestError, String(err));
    assert.equal(err.status, status, err.message);
    return err;
  }
  assert.fail(`expected HTTP ${status}`);
}

test('socket is created 0660', async () => {
  assert.equal((await stat(socket)).mode & 0o777, 0o660);
});

test('GET /v1/vfs, /v1/pfs, /v1/vfs/NAME, /healthz', async () => {
  const vfs = await admin.vfs();
  assert.deepEqual(
    vfs.map((v) => v.name),
    ['db-1', 'web-1', 'web-2'],
  );
  assert.equal(vfs[1].desired.mac, '02:00:00:00:00:01');
  assert.equal(vfs[1].observed?.mac, '02:00:00:00:00:01');
  const pfs = await admin.pfs();
  assert.deepEqual(
    pfs.map((p) => [p.id, p.numVfs, p.managed]),
    [
      [PF0, 8, true],
      ['fake:1', 4, true],
    ],
  );
  assert.deepEqual(pfs[0].vfNames, ['web-1', 'web-2']);
  assert.equal((await admin.vf('web-2')).vf, 1);
  const health = await admin.health();
  assert.equal(health.status, 'ok');
  assert.equal(health.vfs, 3);
  await expectStatus(admin.vf('nope'), 404);
});

test('PUT is an idempotent add/update; DELETE releases the VF', async () => {
  const body = { pf: PF0, vf: 5, vlans: [300], macs: ['02:00:00:00:00:55'] };
  const first = await admin.putVf('new-1', body);
  assert.equal(first.changed, true);
  assert.equal(first.vf?.status.syncState, 'in-sync');
  assert.equal(h.fake.pfs.get(PF0)!.vfs[5].settings.mac, '02:00:00:00:00:55');
  const writes = h.daemon.driver.writes;
  const again = await admin.putVf('new-1', body);
  assert.equal(again.changed, false);
  assert.equal(again.revision, first.revision);
  assert.equal(h.daemon.driver.writes, writes, 'an unchanged PUT writes nothing to the NIC');
  assert.deepEqual(await admin.deleteVf('new-1'), { deleted: 'new-1' });
  assert.equal(h.fake.pfs.get(PF0)!.vfs[5].settings.mac, '00:00:00:00:00:00', 'released');
  await expectStatus(admin.deleteVf('new-1'), 404);
});

test('bad input gets 4xx naming the field and changes nothing', async () => {
  const files = await snapshotFiles(h.stateDir);
  const unknown = await expectStatus(
    admin.putVf('web-1', { pf: PF0, vf: 0, colour: 'red' } as never),
    400,
  );
  assert.ok(
    unknown.body.problems?.some((p) => p.field.includes('colour')),
    unknown.message,
  );
  const wrongType = await expectStatus(admin.putVf('web-1', { pf: PF0, vf: 'zero' } as never), 400);
  assert.ok(
    wrongType.body.problems?.some((p) => p.field === 'vf'),
    wrongType.message,
  );
  assert.equal(wrongType.body.kind, 'invalid', 'a body that misses the published schema');
  const mismatch = await expectStatus(admin.putVf('web-1', { name: 'other', pf: PF0, vf: 0 }), 422);
  assert.equal(mismatch.body.problems?.[0].field, 'name');
  const req = await expectStatus(
    admin.guestRequest('web-1', { type: 'setMtu', mtu: 'big' } as never),
    400,
  );
  assert.ok(
    req.body.problems?.some((p) => p.field === 'mtu'),
    req.message,
  );
  const extra = await expectStatus(
    admin.guestRequest('web-1', { type: 'reset', evil: 1 } as never),
    400,
  );
  assert.ok(
    extra.body.problems?.some((p) => p.field === 'evil'),
    extra.message,
  );
  const badName = await raw('GET', '/v1/vfs/..%2Fetc');
  assert.equal(badName.status, 400);
  assert.equal((await raw('PUT', '/v1/vfs/web-1', '{"pf": ')).status, 400);
  const big = await raw(
    'PUT',
    '/v1/vfs/web-1',
    JSON.stringify({ pf: PF0, vf: 0, onStart: ['/bin/x', 'y'.repeat(5000)] }),
  );
  assert.equal(big.status, 413);
  assert.match(big.json.error ?? '', /limit is 4096 bytes/);
  assert.deepEqual(await snapshotFiles(h.stateDir), files);
});

test('POST /v1/validate is a dry run', async () => {
  const ok = await admin.validate({ vfs: [{ name: 'x', pf: PF0, vf: 6 }] });
  assert.deepEqual(ok, { ok: true, problems: [] });
  const bad = await admin.validate({ vfs: [{ name: 'x', pf: PF0, vf: 'six' }] });
  assert.equal(bad.ok, false);
  assert.equal(bad.problems[0].field, 'vf');
  await expectStatus(admin.vf('x'), 404);
});

test('guest requests over the API: ack persists and reconciles, nack audited', async () => {
  const events: DaemonEvent[] = [];
  const off = h.daemon.bus.subscribe((e) => events.push(e));
  const d = await admin.guestRequest('web-1', { type: 'setMac', mac: '02:00:00:00:00:77' });
  assert.equal(d.result, 'ack', d.reason);
  assert.equal(
    h.fake.pfs.get(PF0)!.vfs[0].settings.mac,
    '02:00:00:00:00:77',
    'reconciled before answering',
  );
  const n = await admin.guestRequest('web-2', { type: 'addVlan', vlan: 4000 });
  assert.equal(n.result, 'nack');
  off();
  const audits = events.flatMap((e) => (e.type === 'audit' ? [e.entry] : []));
  assert.deepEqual(
    audits.map((a) => [a.target, a.result, a.who]),
    [
      ['web-1', 'ack', 'admin:socket'],
      ['web-2', 'nack', 'admin:socket'],
    ],
  );
  await admin.guestRequest('web-1', { type: 'reset' });
});

test('a guest credential acts on its own VF only', async () => {
  const { token } = await admin.issueCredential('web-1');
  assert.ok((await admin.vf('web-1')).hasCredential);
  const guest = new ApiClient({ socket, token });
  try {
    assert.equal(
      (await guest.guestRequest('web-1', { type: 'setPromisc', enable: false })).result,
      'ack',
    );
    await expectStatus(guest.guestRequest('web-2', { type: 'reset' }), 403);
    await expectStatus(guest.vfs(), 403);
    await expectStatus(guest.putVf('web-1', { pf: PF0, vf: 0, trust: true }), 403);
    await expectStatus(guest.issueCredential('web-1'), 403);
    await expectStatus(guest.reload(), 403);
    const wrong = new ApiClient({ socket, token: 'nvg_not-a-token' });
    await expectStatus(wrong.guestRequest('web-1', { type: 'reset' }), 401);
    wrong.close();
  } finally {
    guest.close();
  }
});

test('GET /v1/events streams audit entries as server-sent events', async () => {
  const got = await new Promise<string>((resolve, reject) => {
    const req = httpRequest({ socketPath: socket, path: '/v1/events?types=audit' }, (res) => {
      assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
      let text = '';
      res.on('data', (c) => {
        text += c;
        if (text.includes('event: audit')) {
          req.destroy();
          resolve(text);
        }
      });
      void admin.guestRequest('web-2', { type: 'setMtu', mtu: 1400 });
    });
    req.on('error', reject);
    req.end();
  });
  const data = got.split('\n').find((l) => l.startsWith('data: '))!;
  const e = JSON.parse(data.slice(6)) as DaemonEvent;
  assert.equal(e.type, 'audit');
});

test('stats come from the cache; openapi document lists the routes', async () => {
  h.fake.count(PF0, 0, 10, 1000);
  assert.equal(
    (await admin.stats()).vfs.find((v) => v.name === 'web-1')?.counters.rxPackets ?? 0,
    0,
    'not read per request',
  );
  const doc = await admin.request<{ openapi: string; paths: Record<string, unknown> }>(
    'GET',
    '/v1/openapi.json',
  );
  assert.equal(doc.openapi, '3.0.3');
  for (const p of [
    '/v1/vfs/{name}',
    '/v1/vfs/{name}/requests',
    '/v1/vfs/{name}/rules',
    '/v1/events',
    '/v1/stats',
  ])
    assert.ok(doc.paths[p], p);
});

test('GET /v1/vfs/NAME/rules: a legacy PF says why it has none; an unknown VF is 404', async () => {
  const r = await admin.vfRules('web-1');
  assert.deepEqual([r.port, r.eswitchMode, r.rules], ['vf0', 'legacy', []]);
  assert.match(r.note ?? '', /legacy mode.*put the PF in switchdev mode/);
  assert.equal((await raw('GET', '/v1/vfs/nobody/rules')).status, 404);
});

test('log level and reload', async () => {
  const previous = h.daemon.log.level;
  assert.deepEqual(await admin.setLogLevel('fatal'), { level: 'fatal', previous });
  assert.equal(h.daemon.log.level, 'fatal');
  h.daemon.log.level = previous;
  await expectStatus(admin.setLogLevel('loud'), 400);
  const r = await admin.reload();
  assert.deepEqual(r, { added: [], removed: [], changed: [], mainChanged: false });
});
