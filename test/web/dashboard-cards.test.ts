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
import type { ClaimResult, LagView, PoolView } from '../../src/model/index.js';
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
