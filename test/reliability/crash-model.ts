/**
 * What the crash test believes the daemon holds: per VF name, the policy (as the daemon
 * fills it in) and the guest state, updated only from acknowledged answers. Random
 * mutations are drawn from a seeded PRNG; each knows what it would change if acknowledged,
 * so a mutation cut short by a kill may be found either before or after — nothing else.
 */
import assert from 'node:assert/strict';
import {
  emptyGuestState,
  type GuestRequest,
  type GuestState,
  PfPolicy,
  VfPolicy,
  type VfPolicyInput,
} from '../../src/model/index.js';
import { guestStateAfter } from '../../src/policy/authorise.js';
import { pruneGuestState } from '../../src/policy/guest-state.js';
import { PFS } from './daemon-proc.js';
import type { Prng } from './prng.js';

export interface Entry {
  policy: VfPolicy;
  guest: GuestState;
}
export type World = Map<string, Entry>;

export interface Mutation {
  label: string;
  method: 'PUT' | 'DELETE' | 'POST';
  path: string;
  body?: unknown;
  name: string;
  /** The VF's entry after this mutation is acknowledged (null: absent). */
  after(before: Entry | null): Entry | null;
  /** A change of several VFs (POST /v1/apply): every VF's entry after it, all or nothing. */
  multi?: (world: World) => Map<string, Entry | null>;
  /** Whether a 2xx answer means the change was made (a guest nack is 200 and changes nothing). */
  made(body: unknown): boolean;
}

export const SLOTS = 12;
const PF_POLICY = PfPolicy.parse({ pf: PFS[0], numVfs: 8 });
const hex = (n: number) => n.toString(16).padStart(2, '0');

export const slotName = (i: number) => `c${i}`;
const slotPf = (i: number) => PFS[i % 2];
const slotVf = (i: number) => i >> 1;
const slotMacs = (i: number) => [0, 1, 2, 3].map((k) => `02:00:00:00:${hex(i + 1)}:${hex(k)}`);

function randomPolicy(r: Prng, i: number): VfPolicyInput {
  const pool = slotMacs(i);
  const p: VfPolicyInput = {
    name: slotName(i),
    pf: slotPf(i),
    vf: slotVf(i),
    macs: [pool[0], ...r.subset(pool.slice(1, 3))],
    guestMacs: r.int(0, 2),
  };
  if (r.chance(0.2)) p.untagged = true;
  else p.vlans = r.subset([10, 11, 12, 13, 14, 15], 1);
  if (r.chance(0.5)) p.mtu = r.int(1280, 1500);
  return p;
}

/** Invalid on purpose: the daemon must refuse them and change nothing. */
function invalidPolicy(r: Prng, i: number): VfPolicyInput {
  const p = randomPolicy(r, i) as Record<string, unknown>;
  const how = r.int(0, 3);
  if (how === 0) p.vlans = [4095];
  else if (how === 1) p.mtu = 100;
  else if (how === 2) p.macs = ['01:00:5e:00:00:01'];
  else p.surprise = true;
  return p as VfPolicyInput;
}

function randomRequest(r: Prng, i: number): GuestRequest {
  const pool = slotMacs(i);
  switch (r.int(0, 4)) {
    case 0:
      return {
        type: 'setMac',
        mac: r.chance(0.9) ? r.pick(pool) : r.pick(slotMacs((i + 2) % SLOTS)),
      };
    case 1:
      return { type: 'addMac', mac: r.pick(pool) };
    case 2:
      return { type: 'addVlan', vlan: r.int(10, 17) };
    case 3:
      return { type: 'delVlan', vlan: r.int(10, 17) };
    default:
      return { type: 'setMtu', mtu: r.int(1200, 1600) };
  }
}

function putMutation(name: string, body: VfPolicyInput, label: string): Mutation {
  return {
    label,
    method: 'PUT',
    path: `/v1/vfs/${name}`,
    body,
    name,
    after: (before) => {
      const parsed = VfPolicy.safeParse(body);
      if (!parsed.success) return before;
      const guest = before
        ? pruneGuestState(before.guest, parsed.data, PF_POLICY)
        : emptyGuestState();
      return { policy: parsed.data, guest };
    },
    made: () => true,
  };
}

/** What an acknowledged mutation leaves, per VF it touches. */
export function effects(m: Mutation, world: World): Map<string, Entry | null> {
  return m.multi?.(world) ?? new Map([[m.name, m.after(world.get(m.name) ?? null)]]);
}

/** The VFs a mutation touches. */
export function namesOf(m: Mutation, world: World): string[] {
  return [...effects(m, world).keys()];
}

/** POST /v1/apply of 2–4 VFs (puts and deletes; sometimes one invalid: all refused). */
function applyMutation(r: Prng, world: World): Mutation {
  const slots = r.subset([...Array(SLOTS).keys()], 2).slice(0, r.int(2, 4));
  if (slots.length < 2) slots.push((slots[0] + 1) % SLOTS);
  const vfs: VfPolicyInput[] = [];
  const del: string[] = [];
  for (const i of slots) {
    if (world.has(slotName(i)) && r.chance(0.2)) del.push(slotName(i));
    else vfs.push(randomPolicy(r, i));
  }
  if (r.chance(0.1)) vfs[0] = invalidPolicy(r, slots.find((i) => !del.includes(slotName(i)))!);
  const names = [...vfs.map((v) => v.name), ...del];
  return {
    label: `apply of ${names.length} VFs`,
    method: 'POST',
    path: '/v1/apply',
    body: { vfs, delete: del },
    name: names.join('+'),
    after: () => {
      throw new Error('a multi-VF change has no single after');
    },
    multi: (w) => {
      const out = new Map<string, Entry | null>();
      // One invalid policy refuses the whole change: every VF stays as it was.
      const valid = vfs.every((v) => VfPolicy.safeParse(v).success);
      if (!valid) {
        for (const n of names) out.set(n, w.get(n) ?? null);
        return out;
      }
      for (const v of vfs)
        out.set(v.name, putMutation(v.name, v, 'put').after(w.get(v.name) ?? null));
      for (const n of del) out.set(n, null);
      return out;
    },
    made: () => true,
  };
}

/** One random mutation over the world as the test believes it to be. */
export function randomMutation(r: Prng, world: World): Mutation {
  if (world.size > 0 && r.chance(0.12)) return applyMutation(r, world);
  const i = r.int(0, SLOTS - 1);
  const name = slotName(i);
  const cur = world.get(name) ?? null;
  const roll = r.next();
  if (!cur || roll < 0.3) return putMutation(name, randomPolicy(r, i), 'put');
  if (roll < 0.35) return putMutation(name, invalidPolicy(r, i), 'put-invalid');
  if (roll < 0.43)
    return {
      label: 'delete',
      method: 'DELETE',
      path: `/v1/vfs/${name}`,
      name,
      after: () => null,
      made: () => true,
    };
  if (roll < 0.53) {
    const peers = [...world.keys()].filter((n) => world.get(n)!.policy.pf === cur.policy.pf);
    const target = r.pick(peers);
    const body = { target, direction: r.pick(['in', 'out', 'all'] as const) };
    return {
      label: 'mirror',
      method: 'PUT',
      path: `/v1/vfs/${name}/mirror`,
      body,
      name,
      after: (b) => (b ? { ...b, policy: VfPolicy.parse({ ...b.policy, mirror: body }) } : b),
      made: () => true,
    };
  }
  if (roll < 0.58) {
    return {
      label: 'mirror-off',
      method: 'DELETE',
      path: `/v1/vfs/${name}/mirror`,
      name,
      after: (b) => {
        if (!b) return b;
        const { mirror: _m, ...rest } = b.policy;
        return { ...b, policy: VfPolicy.parse(rest) };
      },
      made: () => true,
    };
  }
  const req = randomRequest(r, i);
  return {
    label: 'guest',
    method: 'POST',
    path: `/v1/vfs/${name}/requests`,
    body: req,
    name,
    after: (b) => (b ? { ...b, guest: guestStateAfter(b.guest, req, b.policy) } : b),
    made: (res) => (res as { result?: string }).result === 'ack',
  };
}

/** Compare a VF as the daemon shows it with what the test expects. */
export function sameEntry(
  view: { policy: unknown; guest: unknown } | undefined,
  e: Entry | null,
): boolean {
  if (!view || !e) return !view && !e;
  try {
    assert.deepEqual(view.policy, e.policy);
    assert.deepEqual(view.guest, e.guest);
    return true;
  } catch {
    return false;
  }
}
