/**
 * The driver conformance suite: the same cases against every NicDriver. A driver's own
 * test file calls runDriverConformance() with a factory; a case the driver cannot support
 * is skipped with the reason drawn from its capabilities, never silently. Keep this file
 * driver-agnostic: it runs against the sim and the test fake here and against the linux
 * driver in the lab VM.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { NicDriver, PfInfo } from '../../src/drivers/driver.js';
import {
  type Decision,
  type GuestRequest,
  MainConfig,
  type MirrorState,
  type ObservedVf,
  type PfCapabilities,
  type Plan,
  type PlanStep,
  type VfSettingKey,
} from '../../src/model/index.js';
import { type DesiredState, desiredState } from '../../src/policy/desired.js';
import { plan, VF_FIELD_ORDER } from '../../src/policy/plan.js';
import { samplePolicies } from './policies.js';

/** Things only the environment around a driver can do, for the cases that need them. */
export interface ConformanceHooks {
  /** Make the PF lose its VF configuration without telling the driver (PF reset). */
  resetPfBehindDriver?(pf: string): Promise<void> | void;
  /** Change one VF setting behind the driver's back, as `ip link set … vf N …` would. */
  pokeVf?(pf: string, vf: number, field: VfSettingKey, value: unknown): Promise<void> | void;
  /** Send a mailbox request as the guest of the VF would. */
  guestRequest?(pf: string, vf: number, request: GuestRequest): Promise<Decision>;
}

export interface ConformanceTarget {
  driver: NicDriver;
  hooks?: ConformanceHooks;
}

export interface ConformanceOptions {
  /** PF to test on (default: the first one discovered). */
  pf?: string;
  /** How long to wait for an asynchronous driver event (default 5 s). */
  eventTimeoutMs?: number;
}

interface Env {
  driver: NicDriver;
  hooks: ConformanceHooks;
  info: PfInfo;
  caps: PfCapabilities;
  pf: string;
}

type Case = (env: Env, t: TestContext) => Promise<void>;

async function waitFor(pred: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

async function applyAll(driver: NicDriver, p: Plan): Promise<void> {
  const result = await driver.apply(p);
  const bad = result.outcomes.filter((o) => o.status !== 'done');
  assert.deepEqual(bad, [], 'every step of the plan is done');
  assert.equal(result.outcomes.length, p.steps.length, 'one outcome per step');
}

async function planFor(env: Env, desired: DesiredState): Promise<Plan> {
  return plan(desired, await env.driver.observe({ pf: env.pf }));
}

/** Apply plans until nothing is left (a numVfs change needs a second round); returns rounds. */
async function converge(env: Env, desired: DesiredState): Promise<number> {
  for (let round = 0; round < 4; round++) {
    const p = await planFor(env, desired);
    if (p.steps.length === 0) return round;
    await applyAll(env.driver, p);
  }
  assert.fail('the plan is still not empty after 4 rounds of apply');
}

function desiredFor(env: Env, numVfs: number, vfCount: number): DesiredState {
  const config = MainConfig.parse({ pfs: [{ pf: env.pf, numVfs }] });
  return desiredState(config, samplePolicies(env.pf, env.caps, vfCount), new Map(), new Map());
}

async function setNumVfs(env: Env, to: number): Promise<void> {
  const [o] = await env.driver.observe({ pf: env.pf });
  if (o.numVfs === to) return;
  const step: PlanStep = { kind: 'setNumVfs', pf: env.pf, from: o.numVfs, to, reason: 'test' };
  await applyAll(env.driver, { steps: [step] });
}

async function observeVf(env: Env, vf: number): Promise<ObservedVf> {
  const [o] = await env.driver.observe({ pf: env.pf });
  const v = o.vfs.find((x) => x.vf === vf);
  assert.ok(v, `vf ${vf} is observed on ${env.pf}`);
  return v;
}

function setVf(env: Env, vf: number, field: VfSettingKey, to: unknown): PlanStep {
  return {
    kind: 'setVf',
    pf: env.pf,
    vf,
    name: `conf-${vf}`,
    field,
    from: undefined,
    to: to as never,
    reason: 'test',
  };
}

const CASES: Record<string, Case> = {
  'discover: PFs with coherent capabilities': async (env) => {
    const pfs = await env.driver.discover();
    assert.ok(pfs.length >= 1);
    assert.equal(new Set(pfs.map((p) => p.id)).size, pfs.length, 'PF ids are unique');
    for (const p of pfs) {
      const c = p.capabilities;
      assert.ok(p.totalVfs >= 1 && p.totalVfs <= 256, `${p.id} totalVfs ${p.totalVfs}`);
      assert.ok(p.numVfs >= 0 && p.numVfs <= p.totalVfs, `${p.id} numVfs within totalVfs`);
      assert.equal(c.totalVfs, p.totalVfs);
      assert.ok(c.driver.length > 0);
      for (const k of ['macsPerVf', 'vlansPerVf', 'macsPerPf', 'vlansPerPf', 'maxMtu'] as const) {
        assert.ok(c[k] >= 1, `${p.id} capabilities.${k} is ${c[k]}`);
      }
      assert.ok(c.vlanProtos.includes('802.1Q'));
      assert.ok(c.eswitchModes.includes('legacy'));
    }
  },

  'observe: one VF entry per numVfs, every setting, and the pf filter': async (env) => {
    await setNumVfs(env, Math.min(3, env.caps.totalVfs));
    const all = await env.driver.observe();
    const [o] = await env.driver.observe({ pf: env.pf });
    assert.ok(all.some((p) => p.id === env.pf));
    assert.equal(o.id, env.pf);
    assert.deepEqual(
      o.vfs.map((v) => v.vf),
      Array.from({ length: o.numVfs }, (_, i) => i),
    );
    for (const v of o.vfs) {
      assert.deepEqual(Object.keys(v.settings).sort(), [...VF_FIELD_ORDER].sort());
      assert.ok(Object.values(v.counters).every((n) => typeof n === 'number' && n >= 0));
    }
  },

  'observe: the vf filter answers that VF as a read of the whole PF does': async (env) => {
    await setNumVfs(env, Math.min(3, env.caps.totalVfs));
    const [whole] = await env.driver.observe({ pf: env.pf });
    const last = whole.numVfs - 1;
    const [one] = await env.driver.observe({ pf: env.pf, vf: last });
    assert.equal(one.id, env.pf);
    assert.equal(one.mtu, whole.mtu);
    const v = one.vfs.find((x) => x.vf === last);
    assert.ok(v, `VF ${last} is in the answer`);
    assert.deepEqual(v.settings, whole.vfs[last].settings);
  },

  'apply: plan(desiredState) converges and reads back equal settings': async (env) => {
    const n = Math.min(4, env.caps.totalVfs);
    const desired = desiredFor(env, n, Math.min(2, n));
    await converge(env, desired);
    for (const d of desired.vfs) {
      const o = await observeVf(env, d.vf);
      for (const k of VF_FIELD_ORDER) {
        const [a, b] = [o.settings[k], d.settings[k]];
        const norm = (x: unknown) => (Array.isArray(x) ? [...x].sort() : x);
        assert.deepEqual(norm(a), norm(b), `vf ${d.vf} ${k}`);
      }
    }
    assert.deepEqual((await planFor(env, desired)).steps, [], 'a second plan is empty');
  },

  'numVfs: grow, shrink, and refuse more than totalVfs': async (env) => {
    const max = env.caps.totalVfs;
    for (const n of [Math.min(3, max), 1]) {
      await setNumVfs(env, n);
      const [o] = await env.driver.observe({ pf: env.pf });
      assert.equal(o.numVfs, n);
      assert.equal(o.vfs.length, n);
    }
    const step: PlanStep = { kind: 'setNumVfs', pf: env.pf, from: 1, to: max + 1, reason: 'test' };
    const { outcomes } = await env.driver.apply({ steps: [step] });
    assert.equal(outcomes[0].status, 'failed');
    assert.match((outcomes[0] as { error: string }).error, new RegExp(String(max)));
  },

  'apply: a bad value fails its step, skips the rest of that VF, others go on': async (env, t) => {
    if (env.caps.totalVfs < 2) return t.skip(`totalVfs is ${env.caps.totalVfs}; needs 2 VFs`);
    await setNumVfs(env, 2);
    const steps = [
      setVf(env, 0, 'mac', '02:c0:ff:ee:01:00'),
      setVf(env, 0, 'vlans', [5000]),
      setVf(env, 0, 'mac', '02:c0:ff:ee:01:01'),
      setVf(env, 1, 'mac', '02:c0:ff:ee:01:02'),
    ];
    const { outcomes } = await env.driver.apply({ steps });
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['done', 'failed', 'skipped', 'done'],
    );
    const failed = outcomes[1] as { error: string };
    assert.match(failed.error, /5000/, 'the error names the value');
    assert.match(failed.error, /4094/, 'the error names the allowed range');
    assert.equal((await observeVf(env, 0)).settings.mac, '02:c0:ff:ee:01:00');
    assert.equal((await observeVf(env, 1)).settings.mac, '02:c0:ff:ee:01:02');
  },

  'mirror: set, read back, converge through a plan, clear': async (env, t) => {
    if (!env.caps.mirroring)
      return t.skip(`caps.mirroring is false: ${env.caps.driver} cannot mirror`);
    if (env.caps.totalVfs < 2) return t.skip(`totalVfs is ${env.caps.totalVfs}; needs 2 VFs`);
    await setNumVfs(env, 2);
    const mirror = (to: MirrorState | null): PlanStep => ({
      kind: 'setMirror',
      pf: env.pf,
      vf: 0,
      name: 'conformance',
      from: null,
      to,
      reason: 'conformance',
    });
    const statusOf = async (to: MirrorState | null) =>
      (await env.driver.apply({ steps: [mirror(to)] })).outcomes[0].status;
    assert.equal(await statusOf({ targetVf: 1, direction: 'all' }), 'done');
    assert.deepEqual((await observeVf(env, 0)).mirror, { targetVf: 1, direction: 'all' });
    assert.equal(await statusOf({ targetVf: 0, direction: 'in' }), 'failed', 'not to itself');
    assert.equal(await statusOf(null), 'done');
    assert.equal((await observeVf(env, 0)).mirror, null);
    const desired = desiredFor(env, 2, 2);
    assert.ok(desired.vfs[0].mirror, 'the sample policy mirrors vf 0');
    await converge(env, desired);
    assert.deepEqual((await observeVf(env, 0)).mirror, desired.vfs[0].mirror);
  },

  'events: a PF reset behind the driver is reported, and a re-plan repairs it': async (env, t) => {
    const reset = env.hooks.resetPfBehindDriver;
    if (!reset) return t.skip('no hook to reset the PF behind the driver in this environment');
    const desired = desiredFor(env, Math.min(2, env.caps.totalVfs), 1);
    await converge(env, desired);
    const events: unknown[] = [];
    const off = env.driver.onEvent((e) => events.push(e));
    await reset(env.pf);
    const seen = await waitFor(
      () => events.some((e) => (e as { type: string; pf: string }).type === 'pfReset'),
      // A hang bound, not a speed: the sim reports at once, igb under TCG in seconds.
      20000,
    );
    assert.ok(seen, `a pfReset event for ${env.pf}; got ${JSON.stringify(events)}`);
    assert.ok((await planFor(env, desired)).steps.length > 0, 'the lost settings show as drift');
    await converge(env, desired);
    off();
    const before = events.length;
    await reset(env.pf);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(events.length, before, 'no events after unsubscribing');
  },

  'events: a change behind the driver is observed as drift': async (env, t) => {
    const poke = env.hooks.pokeVf;
    if (!poke) return t.skip('no hook to change a VF behind the driver in this environment');
    const desired = desiredFor(env, Math.min(2, env.caps.totalVfs), 1);
    await converge(env, desired);
    await poke(env.pf, 0, 'mac', '02:c0:ff:ee:0d:0d');
    const steps = (await planFor(env, desired)).steps;
    assert.deepEqual(
      steps.map((s) => (s.kind === 'setVf' ? `${s.vf}.${s.field}` : s.kind)),
      ['0.mac'],
    );
  },

  'release: the VF is restored as it was before nicvisor changed it': async (env) => {
    await setNumVfs(env, Math.min(2, env.caps.totalVfs));
    const before = await observeVf(env, 0);
    await converge(env, desiredFor(env, Math.min(2, env.caps.totalVfs), 1));
    assert.notDeepEqual(
      (await observeVf(env, 0)).settings,
      before.settings,
      'the policy changed vf 0',
    );
    await env.driver.release(env.pf, 0);
    const after = await observeVf(env, 0);
    assert.deepEqual(after.settings, before.settings);
    assert.deepEqual(after.mirror, before.mirror);
  },

  'counters: a stats read has every VF of the PF': async (env) => {
    const n = Math.min(3, env.caps.totalVfs);
    await setNumVfs(env, n);
    const [pf] = await env.driver.observe({ pf: env.pf, stats: true });
    for (let i = 0; i < n; i++) {
      const c = pf.vfs.find((v) => v.vf === i)?.counters;
      assert.ok(c, `counters of vf ${i}`);
      assert.ok(Object.values(c).every((x) => typeof x === 'number' && x >= 0));
    }
  },

  'mailbox: a guest request is applied only on ack': async (env, t) => {
    if (!env.caps.mailbox) {
      return t.skip(`caps.mailbox is false: ${env.caps.driver} cannot intercept guest requests`);
    }
    const send = env.hooks.guestRequest;
    if (!send) return t.skip('no hook to send a guest mailbox request in this environment');
    await setNumVfs(env, 1);
    const req: GuestRequest = { type: 'setMac', mac: '02:c0:ff:ee:0a:0a' };
    const asked: unknown[] = [];
    env.driver.setGuestRequestHandler(async (pf, vf, r) => {
      asked.push([pf, vf, r]);
      return { result: 'nack', reason: 'test says no' };
    });
    assert.equal((await send(env.pf, 0, req)).result, 'nack');
    assert.notEqual((await observeVf(env, 0)).settings.mac, req.mac);
    env.driver.setGuestRequestHandler(async () => ({ result: 'ack', reason: 'test says yes' }));
    assert.equal((await send(env.pf, 0, req)).result, 'ack');
    assert.equal((await observeVf(env, 0)).settings.mac, req.mac);
    assert.deepEqual(asked, [[env.pf, 0, req]]);
    env.driver.setGuestRequestHandler(null);
  },
};

/** Register every conformance case for one driver. */
export function runDriverConformance(
  name: string,
  factory: () => Promise<ConformanceTarget>,
  options: ConformanceOptions = {},
): void {
  describe(`driver conformance: ${name}`, () => {
    for (const [title, body] of Object.entries(CASES)) {
      it(title, async (t) => {
        const { driver, hooks = {} } = await factory();
        await driver.start();
        const pfs = await driver.discover();
        const info = options.pf ? pfs.find((p) => p.id === options.pf) : pfs[0];
        assert.ok(info, `PF ${options.pf ?? '(first)'} is discovered by ${name}`);
        const env: Env = { driver, hooks, info, caps: info.capabilities, pf: info.id };
        try {
          await body(env, t);
        } finally {
          // Leave the PF as found, for drivers whose PFs outlive the test (linux).
          await setNumVfs(env, info.numVfs);
          await driver.stop();
        }
      });
    }
  });
}
