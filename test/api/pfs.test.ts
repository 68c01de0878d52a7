import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApiServer } from '../../src/api/server.js';
import { ApiClient, ApiRequestError } from '../../src/cli/client.js';
import type { AuditPageView, PfChangeResult } from '../../src/model/index.js';
import { PF0, PF1, startHarness } from '../daemon/harness.js';

const path = (pf: string) => `/v1/pfs/${encodeURIComponent(pf)}`;

test('PUT /v1/pfs/ID changes the PF on the NIC and in the main config file (kept across a restart)', async () => {
  const h = await startHarness();
  const socket = join(h.dir, 'api.sock');
  let server = new ApiServer(h.daemon, { socket, bodyLimit: 4096 });
  await server.start();
  const admin = new ApiClient({ socket });
  try {
    const before = await readFile(h.configFile, 'utf8');
    const r = await admin.request<PfChangeResult>('PUT', path(PF1), {
      numVfs: 6,
      mtu: 9000,
      loopback: false,
    });
    assert.equal(r.changed, true);
    assert.equal(r.configFile, h.configFile);
    assert.deepEqual([r.pf?.numVfs, r.pf?.mtu, r.pf?.loopback], [6, 9000, false]);
    const nic = h.fake.pfs.get(PF1)!;
    assert.deepEqual([nic.vfs.length, nic.mtu], [6, 9000], 'the NIC has it');
    const file = JSON.parse(await readFile(h.configFile, 'utf8'));
    const entry = file.pfs.find((p: { pf: string }) => p.pf === PF1);
    assert.deepEqual([entry.numVfs, entry.mtu, entry.loopback], [6, 9000, false]);
    assert.equal(file.pfs.find((p: { pf: string }) => p.pf === PF0).numVfs, 8, 'other PF kept');
    assert.equal(await readFile(`${h.configFile}.bak`, 'utf8'), before, 'the old text is kept');
    const again = await admin.request<PfChangeResult>('PUT', path(PF1), {
      numVfs: 6,
      mtu: 9000,
      loopback: false,
    });
    assert.equal(again.changed, false, 'idempotent');
    const audit = await admin.request<AuditPageView>('GET', '/v1/audit?limit=5');
    assert.ok(audit.entries.some((e) => e.action === 'pf.put' && e.target === PF1));

    await server.stop();
    await h.restart();
    server = new ApiServer(h.daemon, { socket, bodyLimit: 4096 });
    await server.start();
    const pf = h.daemon.listPfs().find((p) => p.id === PF1);
    assert.deepEqual([pf?.numVfs, pf?.mtu], [6, 9000], 'the file carries it across a restart');
  } finally {
    admin.close();
    await server.stop();
    await h.cleanup();
  }
});

test('PUT /v1/pfs/ID refuses bad settings, an unknown PF and a mismatched pf; nothing changes', async () => {
  const h = await startHarness();
  const socket = join(h.dir, 'api.sock');
  const server = new ApiServer(h.daemon, { socket, bodyLimit: 4096 });
  await server.start();
  const admin = new ApiClient({ socket });
  try {
    const text = await readFile(h.configFile, 'utf8');
    const refused = async (p: string, body: unknown, status: number, re: RegExp) =>
      assert.rejects(
        admin.request('PUT', p, body),
        (e: unknown) => e instanceof ApiRequestError && e.status === status && re.test(e.message),
      );
    await refused(path(PF0), { numVfs: 9999 }, 400, /numVfs/);
    await refused(path(PF0), { numVfs: 8, mtu: 99999 }, 400, /mtu/);
    // Valid in shape, refused by the whole configuration: a VF policy uses index 1 of PF0.
    await refused(path(PF0), { numVfs: 1 }, 422, /web-2.*not below numVfs 1/);
    await refused(path('fake:9'), { numVfs: 1 }, 404, /fake:0, fake:1/);
    await refused(path(PF0), { pf: PF1, numVfs: 8 }, 422, /does not match/);
    assert.equal(await readFile(h.configFile, 'utf8'), text, 'the file is untouched');
    assert.equal(h.fake.pfs.get(PF0)!.vfs.length, 8);
  } finally {
    admin.close();
    await server.stop();
    await h.cleanup();
  }
});
