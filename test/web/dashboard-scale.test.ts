/**
 * The dashboard at 2048 VFs (8 PFs × 256) in Chromium: the table holds one page of rows,
 * pages forward and back, and the filter narrows all 2048 to the ones that match.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { VfPolicyInput } from '../../src/model/index.js';
import { PAGE_SIZE } from '../../src/web/vfs.js';
import { browserSkipReason, launch } from './browser.js';
import { startWebDaemon, type WebDaemon } from './kit.js';

const skip = browserSkipReason();
const PORTS = 8;
const VFS = 256;

let d: WebDaemon;
let browser: Browser;
let page: Page;

function policies(): VfPolicyInput[] {
  const out: VfPolicyInput[] = [];
  for (let p = 0; p < PORTS; p++)
    for (let v = 0; v < VFS; v++)
      out.push({
        name: `vf-${p}-${v}`,
        pf: `sim:big/${p}`,
        vf: v,
        vlans: [1000 + (v % 32)],
        macs: [`02:00:00:00:${p.toString(16).padStart(2, '0')}:${v.toString(16).padStart(2, '0')}`],
      });
  return out;
}

before(async () => {
  if (skip) return;
  d = await startWebDaemon({
    demoTraffic: false,
    statsIntervalMs: 1000,
    sim: { nics: [{ name: 'big', ports: PORTS, totalVfs: VFS }] },
    pfs: Array.from({ length: PORTS }, (_, p) => ({ pf: `sim:big/${p}`, numVfs: VFS })),
    policies: policies(),
  });
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(`${d.base}/#token=${d.token}`);
  await page.locator('#vf-table tr[data-vf="vf-0-0"]').waitFor();
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

const rows = () => page.locator('#vf-table tbody tr');

test('2048 VFs: one page of rows, paged forward and back', { skip }, async () => {
  assert.equal(await rows().count(), PAGE_SIZE);
  assert.equal(await page.locator('#vf-page').textContent(), `1–${PAGE_SIZE} of 2048`);
  await page.click('#vf-next');
  await page
    .locator('#vf-page', { hasText: `${PAGE_SIZE + 1}–${2 * PAGE_SIZE} of 2048` })
    .waitFor();
  assert.equal(await rows().count(), PAGE_SIZE);
  const sorted = policies()
    .map((p) => p.name)
    .sort((a, b) => (a < b ? -1 : 1));
  assert.equal(await rows().first().getAttribute('data-vf'), sorted[PAGE_SIZE]);
  await page.click('#vf-prev');
  await page.locator('#vf-page', { hasText: `1–${PAGE_SIZE} of 2048` }).waitFor();
  assert.ok(await page.locator('#vf-prev').isDisabled());
});

test('2048 VFs: the filter narrows to what matches, on every page', { skip }, async () => {
  await page.fill('#vf-filter', 'vf-5-');
  await page.locator('#vf-page', { hasText: 'of 256 (filtered from 2048)' }).waitFor();
  const names = await rows().evaluateAll((trs) => trs.map((t) => t.getAttribute('data-vf') ?? ''));
  assert.equal(names.length, PAGE_SIZE);
  assert.ok(names.every((n) => n.startsWith('vf-5-')));
  // Words narrow together: a PF and a VLAN.
  await page.fill('#vf-filter', 'sim:big/3 vlan 1017');
  await page.locator('#vf-page', { hasText: 'of 8 (filtered' }).waitFor();
  const vlan = await rows().evaluateAll((trs) =>
    trs.map((t) => t.querySelector('.summary')?.textContent ?? ''),
  );
  assert.ok(vlan.every((s) => s.startsWith('vlan 1017 ')));
  await page.fill('#vf-filter', 'no-such-vf');
  await page.locator('#vf-page', { hasText: 'no VF matches (2048 in all)' }).waitFor();
  assert.equal(await rows().count(), 0);
  await page.fill('#vf-filter', '');
  await page.locator('#vf-page', { hasText: `1–${PAGE_SIZE} of 2048` }).waitFor();
});

test('a host without pools says so in the pools card; without LAGs there is no LAG card', {
  skip,
}, async () => {
  assert.deepEqual(await d.api('GET', '/v1/pools'), []);
  await page.locator('#pools-empty', { hasText: 'No pools' }).waitFor();
  assert.equal(await page.locator('.pool').count(), 0);
  assert.deepEqual(await d.api('GET', '/v1/lags'), []);
  assert.equal(await page.locator('#lags-section').isHidden(), true);
});
