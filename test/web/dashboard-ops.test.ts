/**
 * What an operator does in the dashboard beyond editing one policy, in a real browser
 * (chromium via playwright-core) against an in-process daemon on the sim NIC: create and
 * delete a VF policy, the fields added to the form, the MAC a guest switched to, the audit
 * history on load (paged), and the layout at 820 px (table fits, plots fill their panel,
 * time-only axis, rx and tx both visible, header and login wording).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { AuditPageView, GuestDecisionView, PfView, VfView } from '../../src/model/index.js';
import { browserSkipReason, launch } from './browser.js';
import { startWebDaemon, type WebDaemon } from './kit.js';

const skip = browserSkipReason();

let d: WebDaemon;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

async function open(width = 1400): Promise<Page> {
  const p = await browser.newPage({ viewport: { width, height: 1000 } });
  p.on('pageerror', (e) => pageErrors.push(String(e)));
  p.on('console', (m) => {
    // The refusals the PF test provokes on purpose are logged by the browser as errors.
    const refused = /status of 422/.test(m.text()) && m.location().url.includes('/v1/pfs/');
    // A stats tick may have asked for the history of the VF the delete test removes.
    const gone = /status of 404/.test(m.text()) && m.location().url.includes('/v1/vfs/new-1/');
    if (m.type() === 'error' && !refused && !gone)
      pageErrors.push(`${m.text()} at ${m.location().url}`);
  });
  await p.goto(`${d.base}/#token=${d.token}`);
  await p.locator('#vf-table tr[data-vf="web-1"]').waitFor();
  return p;
}

before(async () => {
  if (skip) return;
  d = await startWebDaemon({ demoTraffic: true, statsIntervalMs: 200 });
  browser = await launch();
  page = await open();
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

async function status(name: string): Promise<number> {
  const res = await fetch(`${d.base}/v1/vfs/${name}`, {
    headers: { authorization: `Bearer ${d.token}` },
  });
  return res.status;
}

test('create a VF policy in the form, then delete it (two clicks)', { skip }, async () => {
  await page.click('#vf-new');
  const form = page.locator('#policy-form');
  await form.locator('h3', { hasText: 'New VF policy' }).waitFor();
  await form.locator('input[name="name"]').fill('new-1');
  await form.locator('select[name="pf"]').selectOption('sim:nic0/0');
  // The form proposes the first index without a policy; the daemon checks it is free.
  assert.equal(await form.locator('input[name="vf"]').inputValue(), '5');
  await form.locator('input[name="vf"]').fill('2');
  await form.locator('[data-error-for="vf"]', { hasText: 'db-1' }).waitFor();
  await form.locator('input[name="vf"]').fill('6');
  await form.locator('input[name="vlans"]').fill('100');
  await form.locator('input[name="macs"]').fill('02:00:00:00:00:66');
  await page.waitForFunction(
    () =>
      !document.querySelector<HTMLButtonElement>('#policy-form button[type="submit"]')?.disabled,
  );
  await form.locator('button[type="submit"]').click();
  await page.locator('#policy-form .form-status', { hasText: /created, revision \d+/ }).waitFor();
  const vf = await d.api<VfView>('GET', '/v1/vfs/new-1');
  assert.deepEqual(
    [vf.pf, vf.vf, vf.policy.vlans, vf.policy.macs],
    ['sim:nic0/0', 6, [100], ['02:00:00:00:00:66']],
  );
  await page.locator('#vf-table tr[data-vf="new-1"] .state.in-sync').waitFor();
  assert.equal(d.sim.nic.pf('sim:nic0/0').vfs[6].settings.mac, '02:00:00:00:00:66');

  await page.locator('#policy-form h3', { hasText: 'Policy of new-1' }).waitFor();
  await page.click('#policy-delete');
  await page.locator('#policy-delete', { hasText: 'Really delete new-1?' }).waitFor();
  assert.equal(await status('new-1'), 200, 'one click deletes nothing');
  await page.click('#policy-delete');
  await page.locator('#detail-status', { hasText: 'deleted new-1' }).waitFor();
  assert.equal(await status('new-1'), 404);
  await page.locator('#vf-table tr[data-vf="new-1"]').waitFor({ state: 'detached' });
  await page.locator('#audit li[data-action="policy.delete"]').waitFor();
});

test('the form sets vlanProto, vlanQoS, stripOuterTag, trafficShares, mirror and hooks', {
  skip,
}, async () => {
  await page.locator('tr[data-vf="voice-1"] button').click();
  const form = page.locator('#policy-form');
  await form.locator('h3', { hasText: 'voice-1' }).waitFor();
  await form.locator('input[name="vlanQoS"]').fill('9');
  await form.locator('[data-error-for="vlanQoS"]', { hasText: '7' }).waitFor();
  assert.ok(await form.locator('button[type="submit"]').isDisabled());
  await form.locator('input[name="vlanQoS"]').fill('5');
  await form.locator('select[name="vlanProto"]').selectOption('802.1ad');
  await form.locator('input[name="stripOuterTag"]').setChecked(true);
  await form.locator('input[name="trafficShares"]').fill('10, 20');
  await form.locator('select[name="mirror"]').selectOption('tap-2');
  await form.locator('select[name="mirrorDirection"]').selectOption('out');
  await form.locator('input[name="onStart"]').fill('/bin/true started');
  await page.waitForFunction(
    () =>
      !document.querySelector<HTMLButtonElement>('#policy-form button[type="submit"]')?.disabled,
  );
  await form.locator('button[type="submit"]').click();
  const saved = page.locator('#policy-form .form-status', { hasText: /saved, revision \d+/ });
  await saved.waitFor({ timeout: 10_000 }).catch(async (err) => {
    const now = await page.locator('#policy-form .form-status').textContent();
    const other = await page.locator('#policy-form .problems').textContent();
    throw new Error(`${(err as Error).message}\nstatus: ${now}\nproblems: ${other}`);
  });
  const p = (await d.api<VfView>('GET', '/v1/vfs/voice-1')).policy;
  assert.deepEqual(
    [p.vlanProto, p.vlanQoS, p.stripOuterTag, p.trafficShares, p.mirror, p.onStart],
    ['802.1ad', 5, true, [10, 20], { target: 'tap-2', direction: 'out' }, ['/bin/true', 'started']],
  );
  // Leaving the field fires change → a new dry run; the unchanged form keeps saying "saved".
  const checked = page.waitForResponse((r) => r.url().endsWith('/v1/validate'));
  await form.locator('input[name="onStart"]').dispatchEvent('change');
  await checked;
  await page.waitForTimeout(100); // let the answer render
  assert.match((await saved.textContent()) ?? '', /saved, revision \d+/);
});

test('the policy column shows the MAC the VF uses after a guest setMac', { skip }, async () => {
  const mac = '02:00:00:00:aa:01';
  const r = await d.api<GuestDecisionView>('POST', '/v1/vfs/web-1/requests', {
    type: 'setMac',
    mac,
  });
  assert.equal(r.result, 'ack', r.reason);
  await page.locator('tr[data-vf="web-1"] .summary', { hasText: `${mac} (guest` }).waitFor();
  assert.match(
    (await page.locator('tr[data-vf="web-1"] .summary').textContent()) ?? '',
    /policy 02:00:00:00:00:10/,
  );
});

test('the audit panel shows history on load, paged with "older"', { skip }, async () => {
  for (let i = 0; i < 70; i++)
    await d.api('PUT', '/v1/log-level', { level: i % 2 ? 'info' : 'debug' });
  const newest = (await d.api<AuditPageView>('GET', '/v1/audit?limit=1')).entries[0].seq;
  const p = await open();
  try {
    await p.locator(`#audit li[data-seq="${newest}"]`).waitFor();
    const seqs = async () =>
      p
        .locator('#audit li')
        .evaluateAll((lis) => lis.map((l) => Number(l.getAttribute('data-seq'))));
    const first = await seqs();
    // Live entries (demo traffic's guest decisions, repairs) may land on top meanwhile.
    assert.equal(first.filter((s) => s <= newest).length, 50, 'one page on load');
    assert.deepEqual(
      first,
      [...first].sort((a, b) => b - a),
      'newest first',
    );
    await p.click('#audit-older');
    await p.waitForFunction(() => document.querySelectorAll('#audit li').length > 50);
    while (await p.locator('#audit-older').isVisible()) {
      const n = (await seqs()).length;
      await p.click('#audit-older');
      await p.waitForFunction((k) => document.querySelectorAll('#audit li').length > k, n);
    }
    await p.locator('#audit-note', { hasText: 'start of the log' }).waitFor();
    const all = (await seqs()).filter((s) => s <= newest);
    assert.deepEqual(
      all,
      Array.from({ length: newest }, (_, i) => newest - i),
      'every entry once',
    );
    // A live entry lands on top.
    await d.api('PUT', '/v1/log-level', { level: 'info' });
    const top = (await d.api<AuditPageView>('GET', '/v1/audit?limit=1')).entries[0].seq;
    await p.locator(`#audit li[data-seq="${top}"]`).waitFor();
  } finally {
    await p.close();
  }
});

test('at 820 px: the table fits, the plots fill the panel, axis and lines are readable', {
  skip,
}, async () => {
  const p = await open(820);
  try {
    await p.waitForFunction(
      () => Number(document.querySelector<HTMLElement>('.plots')?.dataset.points) >= 5,
    );
    const m = await p.evaluate(() => {
      const scroll = document.querySelector('#vf-slot .scroll') as HTMLElement;
      const detail = document.querySelector('#detail') as HTMLElement;
      const plots = document.querySelector('.plots') as HTMLElement;
      return {
        tableOverflow: scroll.scrollWidth - scroll.clientWidth,
        page: document.documentElement.scrollWidth,
        detail: detail.clientWidth,
        plot: plots.getBoundingClientRect().width,
        canvas: (plots.querySelector('canvas') as HTMLCanvasElement).getBoundingClientRect().width,
        ticks: (plots.querySelector('[data-plot="pps"]') as HTMLElement).dataset.xTicks ?? '',
        live: document.querySelector('#live')?.textContent,
      };
    });
    assert.equal(m.tableOverflow, 0, 'no VF table column is cut off');
    assert.equal(m.page, 820, 'nothing wider than the window');
    assert.ok(m.plot > m.detail * 0.9, `plots ${m.plot} px of a ${m.detail} px panel`);
    assert.ok(m.canvas > m.detail * 0.8, `chart ${m.canvas} px of a ${m.detail} px panel`);
    assert.match(m.ticks, /^(\d\d:\d\d:\d\d ?)+$/, `time-only tick labels: ${m.ticks}`);
    assert.equal(m.live, 'live', 'the header left "connecting…"');
    // Both series are drawn even where they coincide: count pixels of each colour.
    const px = await p.evaluate(() => {
      const c = document.querySelector('[data-plot="pps"] canvas') as HTMLCanvasElement;
      const data = (c.getContext('2d') as CanvasRenderingContext2D).getImageData(
        0,
        0,
        c.width,
        c.height,
      ).data;
      const near = (i: number, rgb: number[]) =>
        Math.abs(data[i] - rgb[0]) +
          Math.abs(data[i + 1] - rgb[1]) +
          Math.abs(data[i + 2] - rgb[2]) <
        40;
      let rx = 0;
      let tx = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (near(i, [0x2a, 0x7a, 0xe2])) rx++;
        if (near(i, [0xe2, 0x63, 0x2a])) tx++;
      }
      return { rx, tx };
    });
    assert.ok(px.rx > 50 && px.tx > 50, `rx ${px.rx} px, tx ${px.tx} px of their colours`);
  } finally {
    await p.close();
  }
});

test('the login card speaks of the admin token, and the header says a token is needed', {
  skip,
}, async () => {
  const p = await browser.newPage();
  try {
    await p.goto(`${d.base}/`);
    await p.locator('#login-form').waitFor();
    const text = (await p.locator('#login').textContent()) ?? '';
    assert.doesNotMatch(text, /--token/, 'no CLI wording');
    assert.match(text, /admin token/);
    assert.equal(await p.locator('#live').textContent(), 'token required');
  } finally {
    await p.close();
  }
});

test('PF settings: numVfs, MTU, loopback and QoS saved from the PF card reach the NIC', {
  skip,
}, async () => {
  const card = page.locator('.pf[data-pf="sim:nic0/1"]');
  await card.locator('button.pf-edit').click();
  const form = card.locator('form.pf-settings');
  assert.equal(await form.locator('input[name="qos"]').inputValue(), 'bulk:60, voice:40:strict');
  // A refusal names the problem and changes nothing.
  await form.locator('input[name="numVfs"]').fill('2');
  await form.locator('button[type="submit"]').click();
  await form.locator('.problems li', { hasText: 'not below numVfs 2' }).first().waitFor();
  assert.equal(d.sim.nic.pf('sim:nic0/1').numVfs, 8);
  // A stats tick re-renders the cards: the open form and what is typed in it survive.
  await form.locator('input[name="numVfs"]').fill('12');
  await page.waitForResponse((r) => r.url().endsWith('/v1/pfs') && r.request().method() === 'GET');
  assert.equal(await form.locator('input[name="numVfs"]').inputValue(), '12');
  // Loopback off is refused while a VF of the PF mirrors (the copies go through the VEB).
  await form.locator('input[name="loopback"]').setChecked(false);
  await form.locator('button[type="submit"]').click();
  await form
    .locator('.problems li', { hasText: /loopback/ })
    .first()
    .waitFor();
  assert.equal(d.sim.nic.pf('sim:nic0/1').loopback, true);
  await form.locator('input[name="loopback"]').setChecked(true);
  await form.locator('input[name="mtu"]').fill('9000');
  await form.locator('input[name="qos"]').fill('bulk:70, voice:30:strict');
  await form.locator('button[type="submit"]').click();
  await form.locator('.form-status', { hasText: 'saved' }).waitFor();
  const pf = d.sim.nic.pf('sim:nic0/1');
  assert.deepEqual([pf.numVfs, pf.mtu, pf.loopback], [12, 9000, true], 'the NIC has it');
  // Observed right after the answer (a counter read that lands late cannot put back 60/40:
  // test/daemon/observation-order.test.ts).
  const observed = (await d.api<PfView[]>('GET', '/v1/pfs')).find((x) => x.id === pf.id);
  assert.deepEqual(observed?.trafficClasses, [70, 30], 'the new ETS shares observed on the NIC');
  await card.locator('[data-fact="vfs"]', { hasText: '12 enabled' }).waitFor();
  await card.locator('[data-fact="qos"]', { hasText: 'bulk 70%, voice 30% (strict)' }).waitFor();
  await page.locator('#audit li.result-ok[data-action="pf.put"]').waitFor();
});

test('no errors in the pages', { skip }, async () => {
  assert.deepEqual(pageErrors, []);
});
