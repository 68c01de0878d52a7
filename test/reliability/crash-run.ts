/**
 * The crash run: drive random mutations at the real daemon over its Unix socket, SIGKILL it
 * at random moments, restart it, and check that every acknowledged mutation survived,
 * nothing else half-happened, every file parses, and the sim NIC converges to the store.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Entry, type Mutation, randomMutation, sameEntry, type World } from './crash-model.js';
import { killHard, type Proc, type ProcEnv, startProc } from './daemon-proc.js';
import { call, resetAgents, type Target } from './http.js';
import type { Prng } from './prng.js';

export interface CrashFigures {
  seed: number;
  mutations: number;
  acknowledged: number;
  refused: number;
  kills: number;
  inFlight: number;
  inFlightApplied: number;
  asideFiles: number;
  lost: number;
}

interface View {
  name: string;
  policy: unknown;
  guest: unknown;
  status: { syncState: string; lastError: string | null };
  desired: unknown;
  observed: unknown;
  mirror: { desired: unknown; observed: unknown };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every JSON file under the state dir parses; every audit line parses. */
async function checkFiles(dir: string, where: string): Promise<number> {
  let aside = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name === '.aside') aside += (await readdir(p)).length;
      else aside += await checkFiles(p, where);
      continue;
    }
    const text = await readFile(p, 'utf8');
    if (e.name.endsWith('.json')) {
      assert.doesNotThrow(() => JSON.parse(text), `${where}: ${p} does not parse`);
    } else if (e.name.startsWith('audit.log')) {
      for (const line of text.split('\n').filter(Boolean))
        assert.doesNotThrow(() => JSON.parse(line), `${where}: torn audit line in ${p}: ${line}`);
    }
  }
  return aside;
}

async function views(t: Target): Promise<View[]> {
  const res = await call(t, 'GET', '/v1/vfs');
  assert.equal(res.status, 200, `GET /v1/vfs: ${res.text}`);
  return res.body as View[];
}

/** The NIC matches the store: every VF in sync, observed = desired, mirrors included. */
async function converged(t: Target, where: string): Promise<void> {
  const end = Date.now() + 8000;
  let last = '';
  while (Date.now() < end) {
    const vs = await views(t);
    const off = vs.filter(
      (v) =>
        v.status.syncState !== 'in-sync' ||
        JSON.stringify(v.observed) !== JSON.stringify(v.desired) ||
        JSON.stringify(v.mirror.observed) !== JSON.stringify(v.mirror.desired),
    );
    if (off.length === 0) return;
    last = off
      .map((v) => `${v.name}: ${v.status.syncState} ${v.status.lastError ?? ''}`)
      .join('; ');
    await sleep(20);
  }
  assert.fail(`${where}: the NIC did not converge to the store: ${last}`);
}

/** After a restart: the daemon holds exactly the world (the in-flight VF: before or after). */
async function checkWorld(
  t: Target,
  world: World,
  pending: { m: Mutation; before: Entry | null; after: Entry | null } | null,
  where: string,
  figures: CrashFigures,
): Promise<void> {
  const got = new Map((await views(t)).map((v) => [v.name, v]));
  const names = new Set([...world.keys(), ...got.keys()]);
  for (const name of names) {
    const v = got.get(name);
    if (pending && pending.m.name === name) {
      if (sameEntry(v, pending.after) && !sameEntry(v, pending.before)) {
        figures.inFlightApplied += 1;
        if (pending.after) world.set(name, pending.after);
        else world.delete(name);
        continue;
      }
      if (sameEntry(v, pending.before)) continue;
      figures.lost += 1;
      assert.fail(
        `${where}: in-flight ${pending.m.label} ${pending.m.path} left ${name} half-applied:\n` +
          `daemon: ${JSON.stringify(v && { policy: v.policy, guest: v.guest })}\n` +
          `before: ${JSON.stringify(pending.before)}\nafter:  ${JSON.stringify(pending.after)}`,
      );
    }
    const want = world.get(name) ?? null;
    if (!sameEntry(v, want)) {
      figures.lost += 1;
      assert.fail(
        `${where}: ${name} differs from what was acknowledged:\n` +
          `daemon: ${JSON.stringify(v && { policy: v.policy, guest: v.guest })}\n` +
          `acked:  ${JSON.stringify(want)}`,
      );
    }
  }
}

async function send(t: Target, m: Mutation) {
  return call(t, m.method, m.path, m.body);
}

/** Apply an answered mutation to the world. */
function record(world: World, m: Mutation, status: number, body: unknown, f: CrashFigures): void {
  f.mutations += 1;
  if (status >= 200 && status < 300 && m.made(body)) {
    f.acknowledged += 1;
    const next = m.after(world.get(m.name) ?? null);
    if (next) world.set(m.name, next);
    else world.delete(m.name);
  } else if (status < 300 || (status >= 400 && status < 500)) f.refused += 1;
  else if (status >= 500) assert.fail(`${m.label} ${m.path}: ${status} ${JSON.stringify(body)}`);
}

export async function crashRun(
  env: ProcEnv,
  r: Prng,
  opts: { kills: number; mutations: number; log?: (s: string) => void },
): Promise<CrashFigures> {
  const f: CrashFigures = {
    seed: r.seed,
    mutations: 0,
    acknowledged: 0,
    refused: 0,
    kills: 0,
    inFlight: 0,
    inFlightApplied: 0,
    asideFiles: 0,
    lost: 0,
  };
  const t: Target = { socketPath: env.socket };
  const world: World = new Map();
  let proc: Proc = await startProc(env);
  const perRound = Math.max(1, Math.round(opts.mutations / opts.kills));
  try {
    for (let k = 0; k < opts.kills; k++) {
      const n = r.int(Math.ceil(perRound / 2), Math.floor(perRound * 1.5));
      for (let j = 0; j < n; j++) {
        const m = randomMutation(r, world);
        const res = await send(t, m);
        record(world, m, res.status, res.body, f);
      }
      // Kill with one mutation in flight (most rounds) or while idle.
      let pending: { m: Mutation; before: Entry | null; after: Entry | null } | null = null;
      if (r.chance(0.85)) {
        const m = randomMutation(r, world);
        const before = world.get(m.name) ?? null;
        const inflight = send(t, m).then(
          (res) => res,
          () => null,
        );
        await sleep(r.int(0, 6));
        await killHard(proc);
        const res = await inflight;
        if (res) record(world, m, res.status, res.body, f);
        else {
          f.mutations += 1;
          f.inFlight += 1;
          pending = { m, before, after: m.after(before) };
        }
      } else await killHard(proc);
      f.kills += 1;
      resetAgents();
      const where = `seed ${r.seed}, after kill ${f.kills} (${f.mutations} mutations)`;
      f.asideFiles = await checkFiles(env.stateDir, where);
      proc = await startProc(env);
      await checkWorld(t, world, pending, where, f);
      await converged(t, where);
      opts.log?.(`kill ${f.kills}: ${world.size} VFs, ${f.mutations} mutations so far`);
    }
  } finally {
    await killHard(proc);
    resetAgents();
  }
  return f;
}
