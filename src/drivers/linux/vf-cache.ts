import type { VfSettingKey, VfSettings } from '../../model/index.js';
import { vfKey } from '../../model/index.js';
import type { LinkInfo } from './netlink/link-decode.js';
import { type KernelState, kernelState } from './settings.js';

/** What nicvisor knows of each VF between reads of the kernel. */
export class VfCache {
  /** What the kernel holds, as last read or acknowledged. */
  private readonly known = new Map<string, KernelState>();
  /** Fields the kernel does not hold, as last applied. */
  private readonly recorded = new Map<string, Partial<VfSettings>>();

  kernel(pf: string, vf: number): KernelState | undefined {
    return this.known.get(vfKey(pf, vf));
  }

  remember(pf: string, vf: number, s: KernelState): void {
    this.known.set(vfKey(pf, vf), s);
  }

  /** Remembers every VF of a PF as the kernel reported it. */
  rememberLink(pf: string, link: LinkInfo): void {
    for (const v of link.vfs) this.known.set(vfKey(pf, v.vf), kernelState(v));
  }

  /**
   * Remembers the VFs of a PF not known yet. Plain reads (observe, counters) must not
   * overwrite what is known: the drift detector compares the kernel with it, and a stats
   * read that adopted an `ip link` change first would hide that change from it (seen in the
   * lab VM: the daemon's 1 s counter read masked the drift until its slow drift loop ran).
   */
  learnLink(pf: string, link: LinkInfo): void {
    for (const v of link.vfs) {
      const k = vfKey(pf, v.vf);
      if (!this.known.has(k)) this.known.set(k, kernelState(v));
    }
  }

  recordedOf(pf: string, vf: number): Partial<VfSettings> | undefined {
    return this.recorded.get(vfKey(pf, vf));
  }

  record(pf: string, vf: number, field: VfSettingKey, value: unknown): void {
    const r = this.recorded.get(vfKey(pf, vf)) ?? {};
    (r as Record<string, unknown>)[field] = value;
    this.recorded.set(vfKey(pf, vf), r);
  }

  /** The VF was given back: nothing recorded, and its kernel state must be read again. */
  forgetVf(pf: string, vf: number): void {
    this.known.delete(vfKey(pf, vf));
    this.recorded.delete(vfKey(pf, vf));
  }

  /** The PF's VFs were recreated: their kernel state must be read again. */
  forgetPf(pf: string): void {
    for (const k of [...this.known.keys()]) if (k.startsWith(`${pf}#`)) this.known.delete(k);
  }
}
