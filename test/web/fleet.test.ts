/**
 * The fleet in the API and the dashboard, in a real browser (chromium via playwright-core),
 * against a daemon in fleet mode on a real etcd: `/v1/fleet/hosts` and `/v1/fleet/rollout`,
 * and the fleet panel listing hosts (lease, health, revision, per-VF sync summary) and the
 * rollout in progress — here one held back for an owner's consent, then done.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { FleetAgent } from '../../src/daemon/fleet/agent.js';
import { EtcdFleet } from '../../src/daemon/fleet/etcd.js';
import { fleetAgent } from '../../src/daemon/fleet/index.js';
import { giveConsent, startRollout } from '../../src/daemon/fleet/rollout.js';
import { parseFleetUrl } from '../../src/daemon/fleet/url.js';
import { silentLogger } from '../../src/daemon/logger.js';
import type { FleetDoc, FleetHostsView, FleetRolloutView } from '../../src/model/fleet.js';
import type { HealthView } from '../../src/model/index.js';
import { EtcdCluster, etcdMissing } from '../daemon/fleet/etcd-cluster.js';
import { type Host, startHost, stopHost, tempRoot, until } from '../daemon/fleet/fleet-harness.js';
import { browserSkipReason, launch } from './browser.js';
import { startWebDaemon, type WebDaemon } from './kit.js';

const skip = browserSkipReason() || etcdMissing();
const DEMO_PF = 'sim:nic0/0';

const vfDoc = (vlans: number[]): FleetDoc => ({
  kind: 'vf',
  name: 'edge',
  selector: { matchLabels: { rack: 'r1' } },
  policy: { name: 'edge', pf: DEMO_PF, vf: 3, vlans },
  writtenAt: new Date().toISOString(),
});

describe('the fleet in the API and the dashboard', {
  skip: skip || false,
  timeout: 180_000,
}, () => {
  const cluster = new EtcdCluster();
  let d: WebDaemon;
  let agent: FleetAgent;
  let other: Host;
  let fleet: EtcdFleet;
  let tmp: Awaited<ReturnType<typeof tempRoot>>;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    tmp = await tempRoot();
    await cluster.start(1);
    fleet = new EtcdFleet(parseFleetUrl(cluster.url()), silentLogger());
    d = await startWebDaemon({ demoTraffic: false, statsIntervalMs: 600_000 });
    agent = fleetAgent(
      d.daemon,
      { url: cluster.url(), host: 'web0', labels: { rack: 'r1' }, retryMs: 200 },
      silentLogger(),
    );
    d.daemon.fleetAgent = agent;
    await agent.start();
    other = await startHost(tmp.root, { name: 'web1', labels: { rack: 'r2' }, url: cluster.url() });
    await until(async () => (await fleet.hosts()).length === 2, 30_000, 'two hosts registered');
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await agent?.stop();
    await d?.stop();
    if (other) await stopHost(other);
    await fleet?.close();
    await cluster.stop();
    await tmp?.cleanup();
    setTimeout(() => process.exit(), 10_000).unref();
  });

  test('/v1/fleet/hosts and /v1/fleet/rollout: hosts, labels, lease, health, VF summary, revision', async () => {
    const { revision } = await fleet.writeDocs({ put: [vfDoc([100])], delete: [] });
    let v: FleetHostsView = { revision: 0, hosts: [] };
    await until(
      async () => {
        v = await d.api<FleetHostsView>('GET', '/v1/fleet/hosts');
        const me = v.hosts.find((x) => x.host === 'web0');
        return (me?.revision ?? 0) >= revision && me?.health === 'in-sync';
      },
      30_000,
      'web0 in sync in /v1/fleet/hosts',
    );
    assert.deepEqual(
      v.hosts.map((x) => [x.host, x.online, x.labels.rack]),
      [
        ['web0', true, 'r1'],
        ['web1', true, 'r2'],
      ],
    );
    const me = v.hosts.find((x) => x.host === 'web0')!;
    // The fleet owns the VF policies of its hosts: web0 runs exactly the one document.
    assert.deepEqual(me.vfs, { 'in-sync': 1 });
    assert.deepEqual(me.refused, []);
    assert.equal((await d.api<HealthView>('GET', '/healthz')).fleet, true);
    const r = await d.api<FleetRolloutView>('GET', '/v1/fleet/rollout');
    assert.equal(r.rollout, null);
  });

  test('the dashboard lists the hosts and the rollout waiting for consent, then done', async () => {
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`${m.text()} at ${m.location().url}`);
    });
    await page.goto(`${d.base}/#token=${d.token}`);
    const row = page.locator('#fleet-hosts tr[data-host="web0"]');
    await row.waitFor();
    await until(
      async () => (await row.locator('td.health').textContent()) === 'in-sync',
      20_000,
      'web0 in sync on the page',
    );
    assert.equal(await row.locator('td.lease').textContent(), 'online');
    assert.equal(await row.locator('td.vfs').textContent(), '1 in-sync');
    assert.match((await row.locator('td.labels').textContent()) ?? '', /rack=r1/);
    assert.equal(
      await page.locator('#fleet-hosts tr[data-host="web1"] td.lease').textContent(),
      'online',
    );
    assert.equal(await page.locator('#fleet-rollout').textContent(), 'No rollout.');

    // An owner on web0: the rollout holds web0 back and the page says for whom.
    await d.daemon.issueCredential('edge', 'test');
    await until(
      async () => (await fleet.statuses()).find((s) => s.host === 'web0')?.vfs.edge?.owned === true,
      20_000,
      'the owner in web0’s status',
    );
    const running = startRollout(fleet, [vfDoc([101])], {
      maxUnavailable: 4,
      hostTimeoutMs: 120_000,
      consentPollMs: 100,
    });
    await until(
      async () =>
        ((await page.locator('#fleet-rollout').textContent()) ?? '').includes(
          'waiting for the consent of guest:web0/edge',
        ),
      30_000,
      'the rollout waiting on the page',
    );
    const text = (await page.locator('#fleet-rollout').textContent()) ?? '';
    assert.match(text, /^Rollout r-[a-z0-9-]+: running, 0\/1 hosts done/);
    const id = /Rollout (r-[a-z0-9-]+):/.exec(text)![1];
    await giveConsent(fleet, id, 'guest:web0/edge', 'test');
    const { rollout } = await running;
    assert.equal(rollout?.state, 'done');
    await until(
      async () =>
        /: done, 1\/1 hosts done/.test((await page.locator('#fleet-rollout').textContent()) ?? ''),
      20_000,
      'the rollout done on the page',
    );
    assert.deepEqual(d.daemon.getVf('edge').policy.vlans, [101]);
    assert.deepEqual(pageErrors, []);
  });
});
