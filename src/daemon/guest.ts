/**
 * Guest requests, from the NIC mailbox (driver.setGuestRequestHandler) and from the API.
 * Each is rate-limited per VF, authorised against the policy and the observed PF, and on
 * ack the new guest state is written durably BEFORE the ack is answered (VFd lost it on
 * restart). API-origin acks are then programmed into the NIC; mailbox-origin acks are
 * applied by the NIC itself and only confirmed by a reconcile. Every decision is audited.
 */

import type { GuestDecisionView } from '../model/index.js';
import {
  type Decision,
  emptyGuestState,
  type GuestRequest,
  type RequestOrigin,
} from '../model/index.js';
import {
  authorise,
  guestStateAfter,
  type PfPeers,
  pfPeers,
  readsPeers,
} from '../policy/authorise.js';
import { primaryMac } from '../policy/desired.js';
import type { AuditLog } from './audit.js';
import { notFound } from './errors.js';
import type { Logger } from './logger.js';
import type { KeyedLock } from './mutex.js';
import type { RateLimiter } from './ratelimit.js';
import { type Reconciler, vfLockKey } from './reconciler.js';
import type { Store, StoreState } from './store/store.js';

export type Origin = Pick<RequestOrigin, 'via' | 'who'>;

/** A decision as the API shows it, and whether the rate limit made it. */
export type GuestAnswer = GuestDecisionView & { limited?: true };

/**
 * What an answer cost, for the duration histogram: `change` an ack that changed the guest's
 * state (durable write and, for the API, the reconcile before the answer), `decision` any
 * other ack or nack, `limited` a request refused by the rate limit.
 */
export type AnswerOutcome = 'change' | 'decision' | 'limited';

/** Rate-limited requests are audited at most once a second per VF, with a count. */
const LIMIT_AUDIT_MS = 1000;

export class GuestRequests {
  private readonly deps: {
    store: Store;
    reconciler: Reconciler;
    locks: KeyedLock;
    limiter: RateLimiter;
    audit: AuditLog;
    log: Logger;
    /** Told how long each answer took inside the daemon, and whether it changed state. */
    onAnswered?: (seconds: number, outcome: AnswerOutcome) => void;
  };
  private readonly limited = new Map<string, { count: number; at: number }>();
  readonly counts = { ack: 0, nack: 0, limited: 0 };
  /** By policy map: a guest grant makes a new state with the same policies (peers unchanged). */
  private readonly peersMemo = new WeakMap<StoreState['policies'], Map<string, PfPeers>>();

  constructor(deps: GuestRequests['deps']) {
    this.deps = deps;
  }

  /** Name of the VF policy at pf/vf, for mailbox requests. */
  private nameAt(pf: string, vf: number): string | null {
    for (const p of this.deps.store.state().policies.values())
      if (p.pf === pf && p.vf === vf) return p.name;
    return null;
  }

  /** The mailbox handler given to the driver. */
  readonly onMailbox = async (
    pf: string,
    vf: number,
    request: GuestRequest,
    source: 'mailbox' | 'watch' = 'mailbox',
  ) => {
    const name = this.nameAt(pf, vf);
    const who = `${source}:${pf}#${vf}`;
    if (!name) {
      this.counts.nack += 1;
      const reason = `VF ${vf} of ${pf} has no nicvisor policy; requests are refused until one is applied`;
      this.deps.audit.record({
        who,
        via: source,
        action: 'guest.request',
        target: `${pf}#${vf}`,
        request,
        result: 'nack',
        reason,
      });
      return { result: 'nack' as const, reason };
    }
    const d = await this.handle(name, request, { via: source, who });
    return { result: d.result, reason: d.reason };
  };

  /**
   * Decide one request. A rate-limited one is a nack marked `limited`: a mailbox guest gets
   * the nack, an API caller a `limited` error (Daemon.guestRequest), so it knows to back off.
   */
  async handle(name: string, request: GuestRequest, origin: Origin): Promise<GuestAnswer> {
    const { store, limiter, onAnswered } = this.deps;
    const t0 = performance.now();
    if (!store.state().policies.has(name)) throw notFound(name);
    if (!limiter.take(name)) {
      onAnswered?.((performance.now() - t0) / 1000, 'limited');
      return this.rateLimited(name, request, origin);
    }
    const decided = await this.deps.locks.run([vfLockKey(name)], () =>
      this.decide(name, request, origin),
    );
    if (decided.result === 'ack' && decided.changed) {
      if (origin.via === 'api')
        await this.deps.reconciler.reconcileVfs(
          [name],
          `guest ${request.type}`,
          false,
          decided.seen,
        );
      // The NIC applies a mailbox ack itself once we answer (a watched change is in place
      // already); confirm it afterwards.
      else
        setImmediate(
          () =>
            void this.deps.reconciler
              .reconcileVfs([name], `guest ${request.type}`)
              .catch((err) =>
                this.deps.log.warn(
                  { err, vf: name },
                  'confirming a mailbox ack failed; the drift loop will retry',
                ),
              ),
        );
    }
    onAnswered?.((performance.now() - t0) / 1000, decided.changed ? 'change' : 'decision');
    return {
      name,
      request,
      result: decided.result,
      reason: decided.reason,
      revision: decided.revision,
    };
  }

  /** Names and default MACs of the PF's other VFs, computed once per set of policies. */
  private peers(state: StoreState, pf: string): PfPeers {
    let byPf = this.peersMemo.get(state.policies);
    if (!byPf) {
      byPf = new Map();
      this.peersMemo.set(state.policies, byPf);
    }
    let p = byPf.get(pf);
    if (!p) {
      p = pfPeers([...state.policies.values()].filter((x) => x.pf === pf));
      byPf.set(pf, p);
    }
    return p;
  }

  private async decide(name: string, request: GuestRequest, origin: Origin) {
    const { store, reconciler, audit } = this.deps;
    const state = store.state();
    const policy = state.policies.get(name);
    if (!policy) throw notFound(name);
    // A fresh read (it also becomes the daemon's last observation): of the whole PF when the
    // decision looks at its other VFs, else of this VF alone (a PF of 64 VFs read whole made
    // a decision cost 5x the CPU: bench/daemon.ts).
    const pf = readsPeers(request)
      ? (await reconciler.observe(new Set([policy.pf])))[0]
      : await reconciler.observeVf(policy.pf, policy.vf);
    const seen = pf?.vfs.find((v) => v.vf === policy.vf);
    const guest = state.guests.get(name) ?? emptyGuestState();
    // A watched change is on the NIC already: judge it against the MAC the VF held before
    // (its policy's, or the guest's last granted one), or it would look granted already.
    const vf =
      seen && origin.via === 'watch'
        ? { ...seen, settings: { ...seen.settings, mac: primaryMac(policy, guest) } }
        : seen;
    const decision: Decision =
      pf && vf
        ? authorise(request, policy, vf, pf, this.peers(state, policy.pf))
        : {
            result: 'nack',
            reason: `VF ${policy.vf} of ${policy.pf} (${name}) is not present on the NIC; retry when it is in sync`,
          };
    let revision = state.revisions.get(name) ?? 0;
    let changed = false;
    if (decision.result === 'ack') {
      const next = guestStateAfter(guest, request, policy);
      const after = await store.setGuest(name, next);
      changed = after !== revision;
      revision = after;
    }
    this.counts[decision.result] += 1;
    audit.record({
      who: origin.who,
      via: origin.via,
      action: 'guest.request',
      target: name,
      request,
      result: decision.result,
      reason: decision.reason,
    });
    return { ...decision, revision, changed, seen: pf };
  }

  private rateLimited(name: string, request: GuestRequest, origin: Origin): GuestAnswer {
    this.counts.limited += 1;
    const now = Date.now();
    const l = this.limited.get(name) ?? { count: 0, at: 0 };
    l.count += 1;
    const reason = `rate limited: VF ${name} may send ${this.describeLimit()}; slow down and retry`;
    if (now - l.at >= LIMIT_AUDIT_MS) {
      this.deps.audit.record({
        who: origin.who,
        via: origin.via,
        action: 'guest.request',
        target: name,
        request,
        result: 'limited',
        reason: `${reason} (${l.count} refused since the last entry)`,
      });
      l.count = 0;
      l.at = now;
    }
    this.limited.set(name, l);
    return {
      name,
      request,
      result: 'nack',
      reason,
      revision: this.deps.store.state().revisions.get(name) ?? 0,
      limited: true,
    };
  }

  private describeLimit(): string {
    const s = this.deps.store.state().main.daemon;
    return `${s.guestRequestsPerSecond} requests/s (burst ${s.guestRequestBurst})`;
  }

  forget(name: string): void {
    this.limited.delete(name);
    this.deps.limiter.forget(name);
  }
}
