import { pendingStatus, type SyncState, type VfStatus } from '../model/index.js';
import type { EventBus } from './events.js';

/** Per-VF sync status; every change of state or error is published on the bus. */
export class StatusBoard {
  private readonly map = new Map<string, VfStatus>();
  private readonly bus: EventBus;

  constructor(bus: EventBus) {
    this.bus = bus;
  }

  get(name: string): VfStatus {
    return this.map.get(name) ?? pendingStatus();
  }

  set(
    name: string,
    syncState: SyncState,
    patch: Partial<Omit<VfStatus, 'syncState' | 'updatedAt'>> = {},
  ): void {
    const old = this.get(name);
    const next: VfStatus = { ...old, ...patch, syncState, updatedAt: new Date().toISOString() };
    if (syncState === 'in-sync') next.lastError = null;
    this.map.set(name, next);
    if (
      old.syncState !== next.syncState ||
      old.lastError !== next.lastError ||
      old.appliedRevision !== next.appliedRevision ||
      old.repairs !== next.repairs
    ) {
      this.bus.emit({ type: 'vfStatus', name, status: next });
    }
  }

  delete(name: string): void {
    this.map.delete(name);
  }

  all(): VfStatus[] {
    return [...this.map.values()];
  }

  totalRepairs(): number {
    let n = 0;
    for (const s of this.map.values()) n += s.repairs;
    return n;
  }
}
