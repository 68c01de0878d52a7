/**
 * `nicvisor fleet apply`: a rollout of new fleet documents, host by host. The whole rollout
 * lives in etcd — each changed document carries its previous version and the hosts that
 * already run the new one, beside a rollout record — and every step is one transaction
 * guarded by the record's revision. So the coordinator can crash at any point and any CLI
 * (`fleet apply --resume`) continues from the record; two coordinators never both step.
 *
 * Order: the canary host alone first, then batches whose changing VFs stay within
 * `maxUnavailable`. A host that refuses a document or fails a VF pauses the rollout.
 */
import { randomBytes } from 'node:crypto';
import { docKey, type FleetDoc, type HostStatus, type Rollout } from '../../model/fleet.js';
import { canonical, versionFor } from '../../policy/fleet.js';
import { consentNeeds, type HostPlan, planFleet } from '../../policy/fleet-plan.js';
import type { FleetBackend } from './backend.js';
import { parseSnapshot } from './docs.js';

export interface ApplyOptions {
  canary?: string;
  maxUnavailable: number;
  /** Apply changes visible to VF owners without their consent. */
  force?: boolean;
  /** Delete documents the new set does not hold. */
  prune?: boolean;
  /** How long one batch may take before the rollout pauses. */
  hostTimeoutMs?: number;
  /** How often a rollout held for consent looks for it. */
  consentPollMs?: number;
  onStep?: (r: Rollout) => void;
}

export class RolloutError extends Error {}

const now = () => new Date().toISOString();

/** Same content (what hosts run), whatever the rollout marks and write times. */
function sameDoc(a: FleetDoc, b: FleetDoc): boolean {
  const core = (d: FleetDoc) =>
    canonical([d.kind, d.name, d.selector, d.network ?? null, d.policy]);
  return !a.rollout && !a.deleted && core(a) === core(b);
}

/** Start a rollout of `next` (written in one transaction with its record), then drive it. */
export async function startRollout(
  backend: FleetBackend,
  next: FleetDoc[],
  o: ApplyOptions,
): Promise<{ rollout: Rollout | null; plan: HostPlan[] }> {
  const existing = await backend.rollout();
  if (
    existing.record &&
    (existing.record.state === 'running' || existing.record.state === 'paused')
  )
    throw new RolloutError(
      `rollout ${existing.record.id} is ${existing.record.state}: finish it with \`nicvisor fleet apply --resume\` or undo it with \`nicvisor fleet apply --abort\` first`,
    );
  const current = parseSnapshot(await backend.snapshot()).docs;
  const byKey = new Map(current.map((d) => [docKey(d), d]));
  const nextKeys = new Set(next.map(docKey));
  const deleted = o.prune ? current.filter((d) => !nextKeys.has(docKey(d))) : [];
  const proposed = [...next, ...current.filter((d) => !nextKeys.has(docKey(d)) && !o.prune)];
  const [hosts, statuses] = [await backend.hosts(), await backend.statuses()];
  const plan = planFleet(hosts, statuses, current, proposed);
  const affected = plan.filter((p) => p.changes.length > 0);
  // Without --force, a host whose changes an owner would see waits for that owner's
  // consent (`nicvisor fleet consent ROLLOUT --owner OWNER`); the others go on.
  const consent = o.force ? [] : consentNeeds(affected);
  const changed = [
    ...next.filter((d) => {
      const old = byKey.get(docKey(d));
      return !old || !sameDoc(old, d);
    }),
    ...deleted.map((d) => ({ ...d, deleted: true })),
  ];
  if (changed.length === 0) return { rollout: null, plan };
  const id = `r-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  const order = affected.map((p) => p.host);
  const canary = o.canary ?? order[0] ?? null;
  if (o.canary && !order.includes(o.canary))
    throw new RolloutError(
      `--canary ${o.canary}: the change does not touch that host (affected: ${order.join(', ') || 'none'})`,
    );
  const hostsInOrder = canary ? [canary, ...order.filter((h) => h !== canary)] : order;
  const record: Rollout = {
    id,
    state: 'running',
    canary,
    maxUnavailable: o.maxUnavailable,
    docs: changed.map(docKey),
    hosts: hostsInOrder,
    vfsByHost: Object.fromEntries(affected.map((p) => [p.host, p.vfCount])),
    done: [],
    inFlight: [],
    failure: null,
    consent,
    waitingFor: [],
    startedAt: now(),
    updatedAt: now(),
  };
  const put = changed.map((d) => {
    const old = byKey.get(docKey(d));
    const previous = old ? versionFor(old, '\0') : null;
    return { ...d, writtenAt: now(), rollout: { id, previous, hosts: [] } };
  });
  const w = await backend.writeDocs({
    put,
    delete: [],
    rollout: record,
    rolloutRevision: existing.revision,
  });
  if (!w.ok)
    throw new RolloutError('another rollout started meanwhile; see `nicvisor fleet status`');
  return { rollout: await driveRollout(backend, o), plan };
}

function failureOf(s: HostStatus | undefined, r: Rollout): string | null {
  if (!s) return null;
  const refused = s.refused.filter((x) => r.docs.includes(x.doc));
  if (refused.length > 0)
    return refused.map((x) => x.problems.map((p) => p.message).join('; ')).join('; ');
  const failed = Object.entries(s.vfs).filter(([, v]) => v.syncState === 'failed');
  return failed.length > 0 ? failed.map(([n, v]) => `VF ${n}: ${v.lastError}`).join('; ') : null;
}

/** Step the rollout in the record until it is done or paused; safe to run after a crash. */
export async function driveRollout(
  backend: FleetBackend,
  o: ApplyOptions,
): Promise<Rollout | null> {
  const timeout = o.hostTimeoutMs ?? 60_000;
  let batchStarted = Date.now();
  for (;;) {
    const { record: r, revision } = await backend.rollout();
    if (r?.state !== 'running') return r;
    o.onStep?.(r);
    if (r.inFlight.length > 0) {
      const st = new Map((await backend.statuses()).map((s) => [s.host, s]));
      const failed = r.inFlight
        .map((h) => ({ h, why: failureOf(st.get(h), r) }))
        .find((x) => x.why !== null && (st.get(x.h)?.revision ?? 0) >= revision);
      const ready = r.inFlight.every((h) => {
        const s = st.get(h);
        return s && s.revision >= revision && s.syncState !== 'syncing';
      });
      let nextRec: Rollout | null = null;
      if (failed)
        nextRec = { ...r, state: 'paused', failure: { host: failed.h, error: failed.why! } };
      else if (ready) nextRec = { ...r, done: [...r.done, ...r.inFlight], inFlight: [] };
      else if (Date.now() - batchStarted > timeout)
        nextRec = {
          ...r,
          state: 'paused',
          failure: { host: r.inFlight.join(','), error: `not in sync after ${timeout} ms` },
        };
      if (!nextRec) {
        await new Promise((res) => setTimeout(res, 100));
        continue;
      }
      await backend.writeDocs({
        put: [],
        delete: [],
        rollout: { ...nextRec, updatedAt: now() },
        rolloutRevision: revision,
      });
      continue;
    }
    const left = r.hosts.filter((h) => !r.done.includes(h));
    const docs = await rolloutDocs(backend, r);
    if (left.length === 0) {
      // Done: documents lose their rollout marks; deleted ones go.
      const put = docs.filter((d) => !d.deleted).map(({ rollout: _r, ...d }) => d);
      const del = docs.filter((d) => d.deleted).map(docKey);
      await backend.writeDocs({
        put,
        delete: del,
        rollout: { ...r, state: 'done', updatedAt: now() },
        rolloutRevision: revision,
      });
      continue;
    }
    const given = new Set(
      r.consent.length > 0 ? (await backend.consents(r.id)).map((c) => c.owner) : [],
    );
    const missing = (h: string) =>
      r.consent.filter((n) => n.host === h && !given.has(n.owner)).map((n) => n.owner);
    const canaryFirst = r.done.length === 0 && r.canary !== null;
    const ready = left.filter((h) => missing(h).length === 0);
    const batch = canaryFirst
      ? ready.includes(r.canary!)
        ? [r.canary!]
        : []
      : takeBatch(ready, r);
    // Hosts held back for consent: exactly the owners not heard from yet, in the record.
    const waitingFor = [...new Set(left.flatMap(missing))].sort();
    if (batch.length === 0) {
      if (canonical(waitingFor) !== canonical(r.waitingFor))
        await backend.writeDocs({
          put: [],
          delete: [],
          rollout: { ...r, waitingFor, updatedAt: now() },
          rolloutRevision: revision,
        });
      else await new Promise((res) => setTimeout(res, o.consentPollMs ?? 500));
      continue;
    }
    const put = docs.map((d) => ({
      ...d,
      rollout: { ...d.rollout!, hosts: [...new Set([...d.rollout!.hosts, ...batch])] },
    }));
    batchStarted = Date.now();
    await backend.writeDocs({
      put,
      delete: [],
      rollout: { ...r, inFlight: batch, waitingFor, updatedAt: now() },
      rolloutRevision: revision,
    });
  }
}

/** Hosts in order while their changing VFs fit `maxUnavailable` (at least one host). */
function takeBatch(left: string[], r: Rollout): string[] {
  const out: string[] = [];
  let vfs = 0;
  for (const h of left) {
    const n = r.vfsByHost[h] ?? 0;
    if (out.length > 0 && vfs + n > r.maxUnavailable) break;
    out.push(h);
    vfs += n;
  }
  return out;
}

async function rolloutDocs(backend: FleetBackend, r: Rollout): Promise<FleetDoc[]> {
  const all = parseSnapshot(await backend.snapshot()).docs;
  return all.filter((d) => d.rollout?.id === r.id);
}

/** `fleet apply --resume`: a paused rollout runs again (its in-flight hosts are retried). */
export async function resumeRollout(
  backend: FleetBackend,
  o: ApplyOptions,
): Promise<Rollout | null> {
  const { record, revision } = await backend.rollout();
  if (!record) throw new RolloutError('no rollout to resume');
  // --resume --force: the owners not heard from are not waited for any more.
  const forced = o.force && record.consent.length > 0;
  if (record.state === 'paused' || (forced && record.state === 'running')) {
    const w = await backend.writeDocs({
      put: [],
      delete: [],
      rollout: {
        ...record,
        state: 'running',
        failure: null,
        ...(o.force ? { consent: [], waitingFor: [] } : {}),
        updatedAt: now(),
      },
      rolloutRevision: revision,
    });
    if (!w.ok) throw new RolloutError('the rollout record moved meanwhile; run --resume again');
  }
  return driveRollout(backend, o);
}

/**
 * `fleet consent ROLLOUT --owner OWNER`: an owner agrees to the rollout's visible change of
 * its VFs. Refused, naming whom the rollout waits for, when it is not one of its owners.
 */
export async function giveConsent(
  backend: FleetBackend,
  rollout: string,
  owner: string,
  by: string,
): Promise<{ rollout: Rollout; hosts: string[] }> {
  const { record } = await backend.rollout();
  if (!record || record.id !== rollout)
    throw new RolloutError(
      `rollout ${rollout} is not the fleet's rollout (${record ? `now: ${record.id}, ${record.state}` : 'none'}): see \`nicvisor fleet status\``,
    );
  if (record.state === 'done' || record.state === 'aborted')
    throw new RolloutError(`rollout ${rollout} is ${record.state}: nothing to consent to`);
  const needs = record.consent.filter((n) => n.owner === owner);
  if (needs.length === 0) {
    const owners = [...new Set(record.consent.map((n) => n.owner))].sort();
    throw new RolloutError(
      `owner ${owner}: rollout ${rollout} changes none of its VFs (owners it needs: ${owners.join(', ') || 'none'})`,
    );
  }
  await backend.putConsent({ rollout, owner, by, at: now() });
  return { rollout: record, hosts: needs.map((n) => n.host) };
}

/** `fleet apply --abort`: every host goes back to the versions from before the rollout. */
export async function abortRollout(backend: FleetBackend): Promise<Rollout> {
  const { record, revision } = await backend.rollout();
  if (!record || (record.state !== 'running' && record.state !== 'paused'))
    throw new RolloutError('no rollout running or paused to abort');
  const docs = await rolloutDocs(backend, record);
  const put: FleetDoc[] = [];
  const del: string[] = [];
  for (const d of docs) {
    const prev = d.rollout?.previous;
    if (!prev) del.push(docKey(d));
    else {
      const { rollout: _r, deleted: _d, network: _n, ...rest } = d;
      put.push({ ...rest, ...prev, writtenAt: now() });
    }
  }
  const aborted: Rollout = { ...record, state: 'aborted', inFlight: [], updatedAt: now() };
  const w = await backend.writeDocs({
    put,
    delete: del,
    rollout: aborted,
    rolloutRevision: revision,
  });
  if (!w.ok) throw new RolloutError('the rollout record moved meanwhile; run --abort again');
  return aborted;
}
