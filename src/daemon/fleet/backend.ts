/**
 * The fleet store as the agent and the CLI see it. etcd implements it today (etcd.ts); a
 * Kubernetes backend would map the same calls onto CRDs: `snapshot`/`watch` onto a list and
 * watch of `NicvisorPolicy` objects from a resourceVersion (410 Gone = compacted), the
 * registration onto a `Lease` object, the status onto a per-node status object, and
 * `claimMacs` onto a create of one object per MAC (AlreadyExists = taken). Nothing here
 * names etcd.
 */
import type {
  Consent,
  FleetClaim,
  FleetDoc,
  FleetMove,
  HostRegistration,
  HostStatus,
  MacClaim,
  Rollout,
} from '../../model/fleet.js';

/** One raw desired document as stored: parsed by the reader, so a bad one is reported. */
export interface RawDoc {
  key: string;
  text: string;
}

export interface DesiredSnapshot {
  revision: number;
  docs: RawDoc[];
}

export type DocEvent =
  | { type: 'put'; key: string; text: string; revision: number }
  | { type: 'delete'; key: string; revision: number };

export interface WatchHandlers {
  /** Changes in revision order; `revision` is the store's revision after them. */
  onEvents(events: DocEvent[], revision: number): void;
  /** The start revision is gone (compacted): read a snapshot and watch again. */
  onCompacted(): void;
  /** The connection dropped (the backend reconnects and resumes by itself). */
  onDisconnected(err: Error): void;
  onConnected(): void;
}

export interface WatchHandle {
  close(): Promise<void>;
}

export type ClaimOutcome = { ok: true } | { ok: false; mac: string; owner: MacClaim };

/** A pool claim recorded fleet-wide, or who stops it: the owner's other host, or the MAC's. */
export type VfClaimOutcome =
  | { ok: true }
  | { ok: false; conflict: 'owner'; host: string; claims: string[] }
  | { ok: false; conflict: 'mac'; mac: string; holder: MacClaim };

/** A migration's target reservation recorded, or why not (the source's claim, the MAC). */
export type MoveOutcome = { ok: true; from: string } | { ok: false; why: string };

/** The target's commit of a move: which one, and the claim it arrives as. */
export interface MoveCommit {
  owner: string;
  sourceClaim: string;
  token: string;
  to: string;
  claim: string;
}

/** A change of desired documents written as one transaction. */
export interface DocWrite {
  put: FleetDoc[];
  delete: string[];
  /** The rollout record to write along (null: remove it; undefined: leave it). */
  rollout?: Rollout | null;
  /** Only when the record is still at this store revision (0: absent). */
  rolloutRevision?: number;
}

export interface FleetBackend {
  readonly name: string;
  /** A failed call's error in the operator's terms (a refused certificate names the fix). */
  describeError(err: unknown): string;
  snapshot(): Promise<DesiredSnapshot>;
  watch(fromRevision: number, h: WatchHandlers): WatchHandle;
  /** Register the host under a lease kept alive until close() (lost: the host is offline). */
  register(reg: HostRegistration): Promise<void>;
  putStatus(status: HostStatus): Promise<void>;
  /** Claim every MAC on `network` for (host, vf) at once, or none; the host's own count. */
  claimMacs(network: string, macs: string[], owner: MacClaim): Promise<ClaimOutcome>;
  /** Release every MAC `host` holds except `keep` (`NETWORK/MAC`). */
  releaseMacs(host: string, keep: ReadonlySet<string>): Promise<void>;
  /** The claims of one host (all networks): `network/mac` → owner. */
  claimsOf(host: string): Promise<Map<string, MacClaim>>;
  /**
   * Record a pool claim in one transaction: its owner is on no other host, its MAC is held
   * by no other host on its network; of two hosts racing exactly one commits.
   */
  claimVf(c: FleetClaim): Promise<VfClaimOutcome>;
  /**
   * Remove a pool claim's keys (its owner's entry, its MAC, its record). A migration's
   * source claim released with its move's token hands the owner and the MAC to the move's
   * target in the same transaction instead; any other release drops a pending move.
   */
  releaseVf(c: FleetClaim, handOver?: string): Promise<void>;
  /**
   * Record a migration's reservation (`move.from` is filled from the owner record): the
   * source claim must be its owner's on some other host, the MAC held by that host or
   * nobody. Idempotent per token; one move per source claim.
   */
  reserveMove(move: Omit<FleetMove, 'from'>, network: string): Promise<MoveOutcome>;
  /**
   * The target commits: done when the owner already moved to it; the move is finished here
   * when the source's record is gone without having handed over (its release did not reach
   * the store); refused while the source still records its claim, or with no move at all.
   */
  commitMove(m: MoveCommit): Promise<MoveOutcome>;
  /** Drop a pending move (abort, expiry); idempotent, only with its token. */
  dropMove(owner: string, sourceClaim: string, token: string): Promise<void>;
  /** The moves pending towards `host` (all hosts: undefined). */
  moves(host?: string): Promise<FleetMove[]>;
  /** Every MAC held on `network`: MAC → holder. */
  macsOn(network: string): Promise<Map<string, MacClaim>>;
  /** The pool claims recorded for one host (all hosts: undefined). */
  vfClaims(host?: string): Promise<FleetClaim[]>;
  hosts(): Promise<HostRegistration[]>;
  statuses(): Promise<HostStatus[]>;
  /** Write desired documents (and the rollout record) atomically; false: the record moved. */
  writeDocs(w: DocWrite): Promise<{ ok: boolean; revision: number }>;
  rollout(): Promise<{ record: Rollout | null; revision: number }>;
  /** An owner's consent to a rollout (kept until the rollout is replaced). */
  putConsent(c: Consent): Promise<void>;
  consents(rollout: string): Promise<Consent[]>;
  close(): Promise<void>;
}
