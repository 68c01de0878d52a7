// Guarded trust in watch mode through the whole daemon (fake driver with a MAC guard): the
// NIC trusts the VF, a guest's own MAC change is decided as its setMac, a refused one is
// reverted and audited as guest.mac.reverted with the VF, the MAC seen and why.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditEntry } from '../../src/model/index.js';
import { durableFiles, PF0, startHarness, until } from './harness.js';

const RETH = '02:00:00:00:ee:01';
const OWN_A = '02:00:00:00:0a:01';
const OWN_B = '02:00:00:00:0b:01';
const fw = (name: string, vf: number, own: string) => ({
  name,
  pf: PF0,
  vf,
  macs: [own, RETH],
  trust: 'guarded' as const,
  guardMode: 'watch' as const,
});

test('watch mode: the NIC trusts the VF; an allowed MAC is kept, others are reverted and audited', async () => {
  const h = await startHarness({ vfs: [fw('fw-a', 0, OWN_A), fw('fw-b', 1, OWN_B)] });
  const entries: AuditEntry[] = [];
  h.daemon.bus.subscribe((e) => {
    if (e.type === 'audit') entries.push(e.entry);
  });
  try {
    const [pf] = await h.fake.observe({ pf: PF0 });
    assert.deepEqual(
      [pf.vfs[0].settings.trust, pf.vfs[0].settings.macGuard],
      [true, true],
      'NIC trust on, the driver guards the MAC',
    );
    const kept = await h.fake.guestSetsOwnMac(PF0, 0, RETH);
    assert.equal(kept?.result, 'ack', kept?.reason);
    assert.equal(h.daemon.getVf('fw-a').guest.mac, RETH, 'shown as the MAC in use');
    assert.match((await durableFiles(h.stateDir))['guest/fw-a.json'] ?? '', /ee:01/);
    const taken = await h.fake.guestSetsOwnMac(PF0, 1, RETH);
    assert.equal(taken?.result, 'nack', taken?.reason);
    const alien = await h.fake.guestSetsOwnMac(PF0, 1, '02:00:00:00:66:66');
    assert.equal(alien?.result, 'nack');
    const [after] = await h.fake.observe({ pf: PF0 });
    assert.deepEqual(
      after.vfs.slice(0, 2).map((v) => v.settings.mac),
      [RETH, OWN_B],
    );
    await until(
      () => entries.filter((e) => e.action === 'guest.mac.reverted').length === 2,
      2000,
      'audit',
    );
    const asked = entries.filter((e) => e.action === 'guest.request');
    assert.deepEqual(
      asked.map((e) => [e.target, e.via, e.who, e.result]),
      [
        ['fw-a', 'watch', `watch:${PF0}#0`, 'ack'],
        ['fw-b', 'watch', `watch:${PF0}#1`, 'nack'],
        ['fw-b', 'watch', `watch:${PF0}#1`, 'nack'],
      ],
    );
    const reverted = entries.filter((e) => e.action === 'guest.mac.reverted');
    assert.deepEqual(reverted[0].request, { pf: PF0, vf: 1, seen: RETH, restored: OWN_B });
    assert.equal(reverted[0].target, 'fw-b');
    assert.match(reverted[0].reason, /MAC 02:00:00:00:ee:01 is held by vf 0 \(fw-a\)/);
    assert.match(reverted[0].reason, /reverted to 02:00:00:00:0b:01/);
    assert.match(reverted[1].reason, /not in the allow-list of vf 1 \(fw-b\)/);
    await until(
      () => h.daemon.getVf('fw-a').status.syncState === 'in-sync',
      2000,
      'fw-a in sync on the kept MAC',
    );
    assert.equal(h.daemon.getVf('fw-b').guest.mac, null, 'nothing granted to fw-b');
  } finally {
    await h.cleanup();
  }
});

test('request mode (the default) keeps the NIC’s trust off and the guard off', async () => {
  const { guardMode: _, ...plain } = fw('fw-a', 0, OWN_A);
  const h = await startHarness({ vfs: [plain] });
  try {
    const [pf] = await h.fake.observe({ pf: PF0 });
    assert.deepEqual([pf.vfs[0].settings.trust, pf.vfs[0].settings.macGuard], [false, false]);
  } finally {
    await h.cleanup();
  }
});

test('the drift loop leaves a watched VF’s MAC to the guard, and repairs everything else', async () => {
  const h = await startHarness({
    daemon: { driftIntervalMs: 100 },
    vfs: [fw('fw-a', 0, OWN_A)],
  });
  try {
    // The guest's MAC while the guard is still deciding: not drift.
    h.fake.poke(PF0, 0, { mac: RETH });
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(h.fake.pfs.get(PF0)!.vfs[0].settings.mac, RETH);
    assert.equal(h.daemon.getVf('fw-a').status.repairs, 0);
    // Anything else is drift as ever (here the NIC's trust switched off behind its back).
    h.fake.poke(PF0, 0, { trust: false });
    await until(() => h.daemon.getVf('fw-a').status.repairs === 1, 3000, 'drift repair');
    assert.equal(h.fake.pfs.get(PF0)!.vfs[0].settings.trust, true);
  } finally {
    await h.cleanup();
  }
});
