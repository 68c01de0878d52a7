/**
 * The dashboard in a real browser (chromium via playwright-core) against an in-process
 * daemon on the sim NIC with demo traffic, over the token-guarded TCP listener: the page
 * loads with data, a plot updates as traffic flows, a mirror set and cleared through the UI
 * changes the daemon's state, an invalid policy edit shows the error by the field and
 * changes nothing, a valid one is saved. Leaves artifacts/dashboard.png.
 */

import assert from 'node:assert/strict';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { demoMainConfig, demoPolicies } from '../../src/daemon/demo.js';
import type { VfView } from '../../src/model/index.js';
import { browserSkipReason, launch } from './browser.js';
import { startWebDaemon, type WebDaemon } from './kit.js';

const skip = browserSkipReason();
const ARTIFACTS = fileURLToPath(new URL('../../../artifacts/', import.meta.url));

let d: WebDaemon;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

before(async () => {
  if (skip) return;
  d = await startWebDaemon({ demoTraffic: true, statsIntervalMs: 200 });
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`${m.text()} at ${m.location().url}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) pageErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  await page.goto(`${d.base}/#token=${d.token}`);
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

async function storeFiles(): Promise<Map<string, string>> {
  const dir = join(d.stateDir, 'vfs');
  const out = new Map<string, string>();
  for (const f of await readdir(dir)) out.set(f, await readFile(join(dir, f), 'utf8'));
  return out;
}

test('the page loads with PFs, VFs and their state; the token leaves the address bar', {
  skip,
}, async () => {
  await page.locator('#vf-table tr[data-vf="web-1"]').waitFor();
  assert.equal(await page.locator('#vf-table tbody tr').count(), demoPolicies().length);
  assert.equal(await page.locator('.pf').count(), demoMainConfig().pfs?.length);
  await page.locator('tr[data-vf="router"] .state.in-sync').waitFor();
  assert.match(
    (await page.locator('tr[data-vf="router"] .summary').textContent()) ?? '',
    /vlan 100,200,300/,
  );
  assert.match((await page.locator('.pf[data-pf="sim:nic0/1"]').textContent()) ?? '', /voice 40%/);
  // The VF-LAG's members show the LAG, its members' links and which carry traffic.
  await page.locator('.pf[data-pf="sim:nic1/0"] dd', { hasText: 'bond0 balance-xor' }).waitFor();
  assert.equal(new URL(page.url()).hash, '', 'the token is removed from the URL');
});

test('a VF on the switchdev PF shows its representor, devlink port and switch id', {
  skip,
}, async () => {
  // tap-2 is VF 3 of sim:nic0/1 (switchdev); router is on the legacy PF and has none.
  const cell = page.locator('tr[data-vf="tap-2"] .switch-port');
  await cell.waitFor();
  assert.equal((await cell.textContent())?.trim(), '⇄ nic0p1r3');
  assert.match(
    (await cell.getAttribute('title')) ?? '',
    /devlink port sim\/nic0\/65540 · switch nic0/,
  );
  assert.equal(await page.locator('tr[data-vf="router"] .switch-port').count(), 0);
  await page.locator('tr[data-vf="tap-2"] button.link').click();
  assert.equal(
    await page.locator('#detail-switch-port').textContent(),
    'representor nic0p1r3 · devlink port sim/nic0/65540 · switch nic0',
  );
  const api = await d.api<VfView>('GET', '/v1/vfs/tap-2');
  assert.equal(api.switchPort?.representor, 'nic0p1r3', 'the API says the same');
});

test('a rate plot fills and keeps updating while demo traffic flows', { skip }, async () => {
  const plots = page.locator('.plots');
  await page.waitForFunction(() => {
    const el = document.querySelector<HTMLElement>('.plots');
    return Number(el?.dataset.points) >= 3 && Number(el?.dataset.lastRxPps) > 0;
  });
  const before = Number(await plots.getAttribute('data-points'));
  await page.waitForFunction(
    (n) => Number(document.querySelector<HTMLElement>('.plots')?.dataset.points) > n,
    before,
  );
  assert.equal(await page.locator('.plots canvas').count(), 2, 'two uPlot charts drawn');
});

/**
 * Click one of the mirror buttons with the NIC write held back until the refresh that the
 * change's own vfChanged event starts has been shown: the panel must still say it is
 * working (that refresh came before the answer, and once showed the change as done while
 * the NIC still had the old mirror). Returns once the answer's status is shown.
 */
async function mirrorClick(
  button: string,
  mirror: VfView['policy']['mirror'],
  done: RegExp,
): Promise<void> {
  const open = d.held.hold('apply');
  try {
    const refreshed = page.waitForResponse(async (r) => {
      if (!r.url().endsWith('/v1/vfs') || r.request().method() !== 'GET') return false;
      const db = ((await r.json()) as VfView[]).find((v) => v.name === 'db-1');
      return JSON.stringify(db?.policy.mirror) === JSON.stringify(mirror);
    });
    await page.click(button);
    await d.held.arrived('apply');
    await refreshed;
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
    assert.equal(
      await page.locator('#mirror .form-status').textContent(),
      'working…',
      'nothing is shown as done before the daemon answered',
    );
  } finally {
    open();
  }
  await page.locator('#mirror .form-status', { hasText: done }).waitFor();
}

test('setting and clearing a mirror through the UI changes the daemon', { skip }, async () => {
  await page.locator('tr[data-vf="db-1"] button').click();
  await page.locator('#mirror h3', { hasText: 'db-1' }).waitFor();
  await page.selectOption('#mirror-target', 'tap');
  await page.selectOption('#mirror-direction', 'in');
  await mirrorClick('#mirror-set', { target: 'tap', direction: 'in' }, /^mirrored \(in\) to tap$/);
  const vf = await d.api<VfView>('GET', '/v1/vfs/db-1');
  assert.deepEqual(vf.policy.mirror, { target: 'tap', direction: 'in' });
  assert.deepEqual(vf.mirror.observed, { targetVf: 4, direction: 'in' }, 'programmed on the NIC');
  await page.locator('#audit li[data-action="mirror.set"]').waitFor();

  await mirrorClick('#mirror-clear', undefined, /^not mirrored$/);
  const cleared = await d.api<VfView>('GET', '/v1/vfs/db-1');
  assert.equal(cleared.policy.mirror, undefined);
  assert.equal(cleared.mirror.observed, null, 'cleared on the NIC');
});

test('an invalid policy edit shows the error by its field and changes nothing', {
  skip,
}, async () => {
  await page.locator('tr[data-vf="web-1"] button').click();
  await page.locator('#policy-form h3', { hasText: 'web-1' }).waitFor();
  const files = await storeFiles();
  const vfBefore = await d.api<VfView>('GET', '/v1/vfs/web-1');

  await page.fill('#policy-form input[name="vlans"]', '100, 5000');
  const vlanError = page.locator('[data-error-for="vlans"]');
  await vlanError.filter({ hasText: '5000' }).waitFor();
  assert.ok(await page.locator('#policy-form button[type="submit"]').isDisabled());
  assert.equal((await page.locator('[data-error-for="maxTxRate"]').textContent()) ?? '', '');

  await page.fill('#policy-form input[name="vlans"]', '100');
  await page.fill('#policy-form input[name="maxTxRate"]', 'fast');
  await page.locator('[data-error-for="maxTxRate"]').filter({ hasText: 'number' }).waitFor();
  assert.equal(await vlanError.textContent(), '', 'the fixed field no longer shows an error');
  // Enter submits the form; the page re-validates and refuses to save.
  await page.press('#policy-form input[name="maxTxRate"]', 'Enter');
  await page.locator('#policy-form .form-status', { hasText: 'problem' }).waitFor();

  assert.deepEqual(await storeFiles(), files, 'no policy file changed');
  const vfAfter = await d.api<VfView>('GET', '/v1/vfs/web-1');
  assert.equal(vfAfter.revision, vfBefore.revision);
  assert.deepEqual(vfAfter.policy, vfBefore.policy);
});

test('a valid edit is saved through PUT and reaches the NIC', { skip }, async () => {
  await page.fill('#policy-form input[name="maxTxRate"]', '2000');
  const save = page.locator('#policy-form button[type="submit"]');
  await page.waitForFunction(
    () =>
      !document.querySelector<HTMLButtonElement>('#policy-form button[type="submit"]')?.disabled,
  );
  await save.click();
  await page.locator('#policy-form .form-status', { hasText: 'saved' }).waitFor();
  const vf = await d.api<VfView>('GET', '/v1/vfs/web-1');
  assert.equal(vf.policy.maxTxRate, 2000);
  await page.locator('tr[data-vf="web-1"] .summary', { hasText: '≤2000 Mb/s' }).waitFor();
});

test('without a token the page asks for one; a wrong one is refused, the right one opens it', {
  skip,
}, async () => {
  const p = await browser.newPage();
  try {
    await p.goto(`${d.base}/`);
    await p.locator('#login-form').waitFor();
    assert.ok(await p.locator('#app').isHidden());
    await p.fill('#login-token', 'not-the-token-at-all');
    await p.click('#login-form button');
    await p.locator('#login-message', { hasText: 'not valid' }).waitFor();
    await p.fill('#login-token', d.token);
    await p.click('#login-form button');
    await p.locator('#vf-table tr[data-vf="web-1"]').waitFor();
    assert.ok(await p.locator('#login').isHidden());
  } finally {
    await p.close();
  }
});

test('screenshot, and no errors in the page (CSP violations included)', { skip }, async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
  assert.deepEqual(pageErrors, []);
});
