import type {
  ApplyResult,
  Decision,
  GuestRequest,
  MainConfig,
  ObservedPf,
  PfCapabilities,
  PfIdentity,
  Plan,
} from '../model/index.js';

/**
 * Everything a driver factory may need; each driver reads its own section. It lives here,
 * beside the interface every driver imports, so no driver imports the registry that loads
 * it.
 */
export interface DriverContext {
  config: MainConfig;
  /** Directory the driver may keep state in (snapshots). */
  stateDir: string;
}

/** A PF as discovered by a driver, before any policy is applied. */
export interface PfInfo extends PfIdentity {
  capabilities: PfCapabilities;
}

/** Something the NIC or kernel told the driver. */
export type DriverEvent =
  /** The PF lost its VF configuration (reset, driver reload, sriov_numvfs cycled). */
  | { type: 'pfReset'; pf: string; reason: string }
  /** Something changed on the PF or one VF (a link notification, `ip link` run by hand). */
  | { type: 'changed'; pf: string; vf?: number; reason: string }
  /** A LAG's members changed state (link down or up, failover, dissolved by a reset). */
  | { type: 'lag'; pf: string; lag: string; reason: string }
  /**
   * The MAC guard (guarded trust, watch mode) found a MAC the guest set itself: kept (the
   * daemon granted it), reverted to `held`, or the revert failed. `ms`: from the read that
   * found it to the decision carried out.
   */
  | {
      type: 'macGuard';
      pf: string;
      vf: number;
      mac: string;
      held: string;
      action: 'kept' | 'reverted' | 'revertFailed';
      reason: string;
      ms: number;
    };

/**
 * Answers a guest's mailbox request. The NIC applies the change only when the answer is
 * `ack` (the sim NIC does; a real PF driver would).
 */
export type GuestRequestHandler = (
  pf: string,
  vf: number,
  request: GuestRequest,
  /** `watch`: the guest already made the change and the driver reverts it on nack. */
  source?: 'mailbox' | 'watch',
) => Promise<Decision>;

export interface ObserveOptions {
  /** Read counters too (slower on real NICs; leave out when only config is needed). */
  stats?: boolean;
  /** Only this PF. */
  pf?: string;
  /**
   * With `pf`: only this VF of it is needed. A driver may then leave the PF's other VFs out of
   * the answer (the sim does: a guest decision on a PF of 64 VFs read all 64); one whose read
   * has them all anyway (a netlink dump of the PF) may answer with every VF.
   */
  vf?: number;
}

/**
 * What every NIC driver implements. Constructors only assign fields; start() acquires
 * resources (sockets, timers) and stop() releases every one of them, so a daemon that
 * stops (or fails to start) leaves nothing running behind it.
 */
export interface NicDriver {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The PFs this driver can manage, with their capabilities. */
  discover(): Promise<PfInfo[]>;
  /** Read back the state of PFs and their VFs (with counters when `stats` is set). */
  observe(options?: ObserveOptions): Promise<ObservedPf[]>;
  /**
   * Execute a plan in order (every change to the NIC is a plan step, mirrors included).
   * Never throws for a failed step: each step's outcome is reported, and steps after a
   * failed step of the same VF are skipped.
   */
  apply(plan: Plan): Promise<ApplyResult>;
  /** Give the VF back: restore what it had before nicvisor took it over. */
  release(pf: string, vf: number): Promise<void>;
  /**
   * Bind a VF's PCI device to a kernel driver (`vfio-pci` when a VM takes it, its netdev
   * driver again when it comes back); returns the driver bound before. Drivers without PCI
   * devices (sim) do not implement it.
   */
  bindVf?(
    pf: string,
    vf: number,
    driver: string,
  ): Promise<{ pciAddr: string; previous: string | null }>;
  /**
   * The kernel driver a VF's PCI device is bound to now (null: none), for repairing a bind
   * a crash cut short. Drivers without PCI devices (sim) do not implement it.
   */
  vfBinding?(pf: string, vf: number): Promise<{ pciAddr: string; driver: string | null }>;
  /** Subscribe to driver events; returns the unsubscribe function. */
  onEvent(listener: (event: DriverEvent) => void): () => void;
  /** Set who answers guests' mailbox requests (drivers without a mailbox ignore it). */
  setGuestRequestHandler(handler: GuestRequestHandler | null): void;
}

/**
 * Thrown when a driver is asked for something it cannot do. Callers branch on it
 * (`err instanceof UnsupportedError`) to tell "cannot" (refuse the policy) from "failed"
 * (retry).
 */
export class UnsupportedError extends Error {
  readonly driver: string;
  readonly feature: string;
  constructor(driver: string, feature: string, detail: string) {
    super(`driver ${driver} does not support ${feature}: ${detail}`);
    this.name = 'UnsupportedError';
    this.driver = driver;
    this.feature = feature;
  }
}
