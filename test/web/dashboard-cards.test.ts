/**
 * The dashboard's pools and LAG cards in a real browser (chromium via playwright-core)
 * against an in-process daemon with the demo's pool and VF-LAG: the pool's numbers match
 * GET /v1/pools, a claim made through the API shows up live with its owner, PF/VF and MAC,
 * and the release button (two clicks) gives the VF back through the API and the numbers
 * follow; the LAG card shows its mode and members, and a pulled cable as it happens.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import type {
  Claim,
  ClaimResult,
  LagView,
  MigrationTicket,
  PoolView,
} from '../../src/model/index.js';
import { browserSkipReason, launch } from './browser.js';
import { startWebDaemon, type WebDaemon } from './kit.js';

const skip = browserSkipReason();

let d: WebDaemon;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

before(async () => {
  if (skip) return;
  d = await startWebDaemon({ demoTraffic: false, statsIntervalMs: 200 });
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`${m.text()} at ${m.location().url}`);
  });
  await page.goto(`${d.base}/#token=${d.token}`);
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

const card = () => page.locator('.pool[data-pool="demo-net"]');
const fact = (name: string) => card().locator(`[data-fact="${name}"]`);

async function demoNet(): Promise<PoolView> {
  const pools = await d.api<PoolView[]>('GET', '/v1/pools');
  const p = pools.find((x) => x.name === 'demo-net');
  assert.ok(p, 'the demo has its pool');
  return p;
}

/** Wait until the card's numbers are those of the API (read now), then return them. */
async function numbersMatch(): Promise<PoolView> {
  const v = await demoNet();
  await page.waitForFunction(
    (want) =>
      ['capacity', 'claimed', 'free'].every(
        (k, i) =>
          document.querySelector(`.pool[data-pool="demo-net"] [data-fact="${k}"]`)?.textContent ===
          String(want[i]),
      ),
    [v.capacity, v.claimed, v.free],
  );
  return v;
}

async function text(l: Locator): Promise<string> {
  return (await l.textContent()) ?? '';
}

test('the pools card shows capacity, claimed, free, the profile and where the VFs are', {
  skip,
}, async () => {
  await card().waitFor();
  const v = await numbersMatch();
  assert.equal(v.capacity, 6, 'VFs 5-7 of two PFs');
  assert.equal(v.claimed, 0);
  assert.equal(await text(fact('network')), 'physnet1');
  assert.match(await text(fact('device')), /^netdevice · spread/);
  assert.equal(await text(fact('numa')), '0, 1');
  assert.equal(await text(fact('pfs')), 'sim:nic0/0, sim:nic0/1');
  assert.equal(await text(fact('profile')), 'vlan 100 · MAC 02:00:00:00:02:00–02:00:00:00:02:ff');
  await card().locator('.claims-none', { hasText: 'no claims' }).waitFor();
});

test('a claim made through the API appears live; release (two clicks) gives the VF back', {
  skip,
}, async () => {
  const r = await d.api<ClaimResult>('POST', '/v1/pools/demo-net/claims', {
    owner: { kind: 'vm', id: 'guest1' },
    ifname: 'eth1',
  });
  const row = card().locator(`tr[data-claim="${r.claim.id}"]`);
  await row.waitFor();
  const v = await numbersMatch();
  assert.deepEqual([v.claimed, v.free], [1, v.capacity - 1]);
  const cells = await row.locator('td').allTextContents();
  assert.deepEqual(cells.slice(0, 4), [
    r.claim.id,
    'vm:guest1 (eth1)',
    `${r.claim.pf} / ${r.claim.vf}`,
    r.claim.mac,
  ]);
  assert.equal(cells[4], `${r.claim.since.replace('T', ' ').slice(0, 19)} UTC`);

  // The first click only asks; the claim is still there.
  const button = row.locator('button.release');
  await button.click();
  await row.locator('button.release', { hasText: 'confirm release' }).waitFor();
  assert.equal((await demoNet()).claimed, 1, 'one click releases nothing');
  await row.locator('button.release').click();
  await card()
    .locator('.form-status', { hasText: `released ${r.claim.id}: VF restored and verified` })
    .waitFor();
  await row.waitFor({ state: 'detached' });
  const after = await numbersMatch();
  assert.deepEqual([after.claimed, after.free], [0, after.capacity]);
  assert.deepEqual(after.claims, []);
  await page.locator('#audit li[data-action="pool.release"]').waitFor();
});

test('a claim released elsewhere leaves the card at once', { skip }, async () => {
  const r = await d.api<ClaimResult>('POST', '/v1/pools/demo-net/claims', {
    owner: { kind: 'pod', id: 'c0ffee' },
  });
  const row = card().locator(`tr[data-claim="${r.claim.id}"]`);
  await row.waitFor();
  await d.api('DELETE', `/v1/claims/${r.claim.id}`);
  await row.waitFor({ state: 'detached' });
  assert.equal((await numbersMatch()).claimed, 0);
});

test('a migration hand-off shows on the card: migrating away, reserved here, then active again', {
  skip,
}, async () => {
  const r = await d.api<ClaimResult>('POST', '/v1/pools/demo-net/claims', {
    owner: { kind: 'vm', id: 'mover' },
  });
  const src = card().locator(`tr[data-claim="${r.claim.id}"]`);
  await src.waitFor();
  assert.equal(await text(src.locator('.claim-state')), 'active');
  assert.equal(await fact('migrations').count(), 0, 'no hand-off, no migrations line');
  const ticket = await d.api<MigrationTicket>('POST', `/v1/claims/${r.claim.id}/migrate/prepare`, {
    token: 'web-mig-0001',
    target: 'hostB',
    ttlSeconds: 600,
  });
  await card().locator(`tr[data-claim="${r.claim.id}"][data-state="migrating"]`).waitFor();
  assert.match(
    await text(src.locator('.claim-state')),
    /^migrating to hostB until \d\d:\d\d:\d\d UTC: still served here$/,
  );
  assert.equal(await text(fact('migrations')), '1 migrating away');
  assert.equal(await src.locator('button.release').isDisabled(), true);
  assert.match(
    (await src.locator('button.release').getAttribute('title')) ?? '',
    new RegExp(`nicvisor migrate commit ${r.claim.id}.*nicvisor migrate abort.*token web-mig-0001`),
  );
  // This host as a target too (the demo pool is migratable): another token, another MAC.
  const res = await d.api<{ claim: Claim }>('POST', '/v1/migrations', {
    ticket: { ...ticket, token: 'web-mig-0002', mac: '02:00:00:00:02:80' },
    source: 'hostA',
  });
  const tgt = card().locator(`tr[data-claim="${res.claim.id}"][data-state="reserved"]`);
  await tgt.waitFor();
  assert.equal(
    await text(tgt.locator('.claim-state')).then((t) => t.replace(/\d\d:\d\d:\d\d/, 'T')),
    `reserved for a migration from hostA (claim ${r.claim.id}), until T UTC: nothing applied yet`,
  );
  assert.equal(
    await text(fact('migrations')),
    '1 reserved for a migration here · 1 migrating away',
  );
  assert.equal(await tgt.locator('button.release').isDisabled(), true);
  const v = await numbersMatch();
  assert.equal(v.claimed, 2, 'a reservation holds its VF');
  // Both halves undone: the source is active again, the reservation gone, the line too.
  await d.api('POST', '/v1/migrations/web-mig-0002/abort');
  await tgt.waitFor({ state: 'detached' });
  await d.api('POST', `/v1/claims/${r.claim.id}/migrate/abort`, { token: 'web-mig-0001' });
  await card().locator(`tr[data-claim="${r.claim.id}"][data-state="active"]`).waitFor();
  await fact('migrations').waitFor({ state: 'detached' });
  assert.equal(await src.locator('button.release').isDisabled(), false);
  await d.api('DELETE', `/v1/claims/${r.claim.id}`);
  await src.waitFor({ state: 'detached' });
  assert.deepEqual(pageErrors, []);
});

test('the LAG card shows the mode, its members, and a pulled cable as it happens', {
  skip,
}, async () => {
  const lag = page.locator('.lag[data-lag="bond0"]');
  await lag.waitFor();
  assert.match(await text(lag.locator('h3')), /^bond0 balance-xor as configured$/);
  assert.match(await text(lag.locator('[data-fact="policy"]')), /hash layer2 · miimon 100 ms/);
  const member = (pf: string) => lag.locator(`tr[data-member="${pf}"] td`);
  const [m0, m1] = ['sim:nic1/0', 'sim:nic1/1'];
  assert.deepEqual((await member(m1).allTextContents()).slice(0, 3), [m1, 'up', 'yes']);
  d.sim.nic.setWireLink(m1, false);
  try {
    await lag.locator(`tr[data-member="${m1}"] td.bad`, { hasText: 'down' }).waitFor();
    const [view] = await d.api<LagView[]>('GET', '/v1/lags');
    const cells = await member(m1).allTextContents();
    const o = view.observed?.members.find((m) => m.pf === m1);
    assert.deepEqual(cells.slice(1, 4), [
      'down',
      o?.active ? 'yes' : 'no',
      String(o?.linkFailures),
    ]);
    assert.equal((await member(m0).allTextContents())[1], 'up');
  } finally {
    d.sim.nic.setWireLink(m1, true);
  }
  await lag.locator(`tr[data-member="${m1}"] td.ok`, { hasText: 'up' }).waitFor();
});

test('no errors in the page', { skip }, async () => {
  assert.deepEqual(pageErrors, []);
});
