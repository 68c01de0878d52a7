/**
 * The crash run: drive random mutations at the real daemon over its Unix socket, SIGKILL it
 * at random moments, restart it, and check that every acknowledged mutation survived,
 * nothing else half-happened, every file parses, and the sim NIC converges to the store.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeRecords } from '../../src/daemon/store/journal-format.js';
import {
  type Entry,
  effects,
  type Mutation,
  namesOf,
  randomMutation,
  sameEntry,
  type World,
} from './crash-model.js';
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
  /** Acknowledged changes not found after a restart. */
  lost: number;
  /** Changes found that were never acknowledged nor in flight (or refused, yet made). */
  phantom: number;
  /** In-flight changes of several VFs found applied to some of them only. */
  tornMulti: number;
  /** Multi-VF changes acknowledged, and in flight at a kill. */
  multiAcked: number;
  multiInFlight: number;
  /** Most mutations in flight at once (the daemon batches them into shared fsyncs). */
  maxInFlight: number;
  /** Kills that left acknowledged records in the journal (killed before or inside compaction). */
  journalLeft: number;
  /** Kills that cut a journal record mid-write (a torn tail, discarded at start). */
  tornTails: number;
}

/** A mutation sent and not answered when the daemon was killed. */
interface Pending {
  m: Mutation;
  before: Map<string, Entry | null>;
  after: Map<string, Entry | null>;
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
    if (e.name.endsWith('.log')) continue; // journal segments: see journalState()
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

/** What a kill left in the journal: acknowledged records, and whether a record was cut. */
async function journalState(stateDir: string): Promise<{ records: number; torn: boolean }> {
  const dir = join(stateDir, 'journal');
  const out = { records: 0, torn: false };
  for (const n of await readdir(dir).catch(() => [] as string[])) {
    if (!n.endsWith('.log')) continue;
    const d = decodeRecords(await readFile(join(dir, n)));
    out.records += d.records.length;
    if (d.torn > 0) out.torn = true;
  }
  return out;
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

/**
 * After a restart: the daemon holds exactly the world, except that each in-flight mutation
 * is found either whole (every VF it touches as after) or not at all (every VF as before).
 */
async function checkWorld(
  t: Target,
  world: World,
  pending: Pending[],
  where: string,
  figures: CrashFigures,
): Promise<void> {
  const got = new Map((await views(t)).map((v) => [v.name, v]));
  const show = (name: string) => {
    const v = got.get(name);
    return JSON.stringify(v && { policy: v.policy, guest: v.guest });
  };
  const explained = new Set<string>();
  for (const p of pending) {
    const names = [...p.after.keys()];
    for (const n of names) explained.add(n);
    const isAfter = names.every((n) => sameEntry(got.get(n), p.after.get(n) ?? null));
    const isBefore = names.every((n) => sameEntry(got.get(n), p.before.get(n) ?? null));
    if (isAfter && !isBefore) {
      figures.inFlightApplied += 1;
      for (const [n, e] of p.after) {
        if (e) world.set(n, e);
        else world.delete(n);
      }
      continue;
    }
    if (isBefore) continue;
    const some = names.some((n) => sameEntry(got.get(n), p.after.get(n) ?? null));
    if (names.length > 1 && some) figures.tornMulti += 1;
    else figures.phantom += 1;
    assert.fail(
      `${where}: in-flight ${p.m.label} ${p.m.path} left ${names.join(', ')} half-applied:\n` +
        names
          .map(
            (n) =>
              `${n}: daemon ${show(n)}\n  before ${JSON.stringify(p.before.get(n))}\n  after  ${JSON.stringify(p.after.get(n))}`,
          )
          .join('\n'),
    );
  }
  for (const name of new Set([...world.keys(), ...got.keys()])) {
    if (explained.has(name)) continue;
    const want = world.get(name) ?? null;
    if (sameEntry(got.get(name), want)) continue;
    if (want) figures.lost += 1;
    else figures.phantom += 1;
    assert.fail(
      `${where}: ${name} differs from what was acknowledged:\n` +
        `daemon: ${show(name)}\nacked:  ${JSON.stringify(want)}`,
    );
  }
}

async function send(t: Target, m: Mutation) {
  return call(t, m.method, m.path, m.body);
}

/**
 * Send 1–8 mutations at once, on disjoint VFs (so each is judged on its own, whatever order
 * the daemon takes them in); answers are null when the daemon died first.
 */
function startWave(t: Target, r: Prng, world: World, f: CrashFigures) {
  const size = r.int(1, 8);
  const used = new Set<string>();
  const wave: {
    m: Mutation;
    before: Map<string, Entry | null>;
    after: Map<string, Entry | null>;
    answer: Promise<Awaited<ReturnType<typeof send>> | null>;
  }[] = [];
  for (let tries = 0; wave.length < size && tries < size * 3; tries++) {
    const m = randomMutation(r, world);
    const names = namesOf(m, world);
    if (names.some((n) => used.has(n))) continue;
    for (const n of names) used.add(n);
    const before = new Map(names.map((n) => [n, world.get(n) ?? null]));
    const answer = send(t, m).then(
      (res) => res,
      () => null,
    );
    wave.push({ m, before, after: effects(m, world), answer });
  }
  f.maxInFlight = Math.max(f.maxInFlight, wave.length);
  return wave;
}

/** Apply an answered mutation to the world. */
function record(world: World, m: Mutation, status: number, body: unknown, f: CrashFigures): void {
  f.mutations += 1;
  if (status >= 200 && status < 300 && m.made(body)) {
    f.acknowledged += 1;
    if (m.multi) f.multiAcked += 1;
    for (const [n, e] of effects(m, world)) {
      if (e) world.set(n, e);
      else world.delete(n);
    }
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
    phantom: 0,
    tornMulti: 0,
    multiAcked: 0,
    multiInFlight: 0,
    maxInFlight: 0,
    journalLeft: 0,
    tornTails: 0,
  };
  const t: Target = { socketPath: env.socket };
  const world: World = new Map();
  let proc: Proc = await startProc(env);
  const perRound = Math.max(1, Math.round(opts.mutations / opts.kills));
  try {
    for (let k = 0; k < opts.kills; k++) {
      let n = r.int(Math.ceil(perRound / 2), Math.floor(perRound * 1.5));
      while (n > 0) {
        const wave = startWave(t, r, world, f);
        n -= wave.length;
        for (const w of wave) {
          const res = await w.answer;
          if (!res) assert.fail(`${w.m.label} ${w.m.path}: no answer from a live daemon`);
          record(world, w.m, res.status, res.body, f);
        }
      }
      // Kill with a wave of mutations in flight (most rounds) or while idle.
      const pending: Pending[] = [];
      if (r.chance(0.85)) {
        const wave = startWave(t, r, world, f);
        await sleep(r.int(0, 6));
        await killHard(proc);
        for (const w of wave) {
          const res = await w.answer;
          if (res) record(world, w.m, res.status, res.body, f);
          else {
            f.mutations += 1;
            f.inFlight += 1;
            if (w.m.multi) f.multiInFlight += 1;
            pending.push({ m: w.m, before: w.before, after: w.after });
          }
        }
      } else await killHard(proc);
      f.kills += 1;
      resetAgents();
      const where = `seed ${r.seed}, after kill ${f.kills} (${f.mutations} mutations)`;
      f.asideFiles = await checkFiles(env.stateDir, where);
      const j = await journalState(env.stateDir);
      if (j.records > 0) f.journalLeft += 1;
      if (j.torn) f.tornTails += 1;
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
