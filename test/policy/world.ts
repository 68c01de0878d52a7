import {
  emptyGuestState,
  type GuestRequest,
  type GuestState,
  MainConfig,
  type MainConfigInput,
  type ObservedPf,
  type ObservedVf,
  VfPolicy,
  type VfPolicyInput,
  zeroCounters,
} from '../../src/model/index.js';
import { authorise, guestStateAfter, type PfPeers, pfPeers } from '../../src/policy/authorise.js';
import { desiredState } from '../../src/policy/desired.js';

/**
 * A tiny in-memory host for authorise() tests: policies, guest states, and an "observed"
 * NIC that is exactly the desired state (as a perfect driver would leave it). Requests go
 * authorise → guestStateAfter → desiredState, the same path the daemon takes.
 */
export class World {
  readonly config: MainConfig;
  readonly policies: VfPolicy[];
  readonly guests = new Map<string, GuestState>();
  readonly peers = new Map<string, PfPeers>();

  constructor(main: MainConfigInput, policies: VfPolicyInput[]) {
    this.config = MainConfig.parse(main);
    this.policies = policies.map((p) => VfPolicy.parse(p));
    for (const pf of this.config.pfs) {
      this.peers.set(pf.pf, pfPeers(this.policies.filter((p) => p.pf === pf.pf)));
    }
  }

  policy(name: string): VfPolicy {
    const p = this.policies.find((x) => x.name === name);
    if (!p) throw new Error(`no policy ${name}`);
    return p;
  }

  observed(): ObservedPf[] {
    const d = desiredState(this.config, this.policies, this.guests, new Map());
    return d.pfs.map((pf) => ({
      kind: 'observed',
      id: pf.id,
      driver: 'test',
      totalVfs: 64,
      numVfs: pf.numVfs,
      linkUp: true,
      linkSpeedMbps: 25000,
      mtu: pf.mtu,
      loopback: pf.loopback,
      eswitchMode: pf.eswitchMode,
      trafficClasses: pf.trafficClasses,
      counters: zeroCounters(),
      vfs: d.vfs
        .filter((v) => v.pf === pf.id)
        .map(
          (v): ObservedVf => ({
            kind: 'observed',
            pf: v.pf,
            vf: v.vf,
            settings: v.settings,
            mirror: v.mirror,
            counters: zeroCounters(),
            linkUp: true,
          }),
        ),
    }));
  }

  vfOf(name: string): { vf: ObservedVf; pf: ObservedPf } {
    const p = this.policy(name);
    const pf = this.observed().find((x) => x.id === p.pf)!;
    return { pf, vf: pf.vfs.find((v) => v.vf === p.vf)! };
  }

  /** Ask on behalf of the guest of `name`; applies the change when acknowledged. */
  ask(name: string, request: GuestRequest) {
    const policy = this.policy(name);
    const { vf, pf } = this.vfOf(name);
    const decision = authorise(request, policy, vf, pf, this.peers.get(policy.pf));
    if (decision.result === 'ack') {
      const guest = this.guests.get(name) ?? emptyGuestState();
      this.guests.set(name, guestStateAfter(guest, request, policy));
    }
    return decision;
  }

  settings(name: string) {
    return this.vfOf(name).vf.settings;
  }
}
