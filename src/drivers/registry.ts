import type { MainConfig } from '../model/index.js';
import type { NicDriver } from './driver.js';

/** Everything a driver factory may need; each driver reads its own section. */
export interface DriverContext {
  config: MainConfig;
  /** Directory the driver may keep state in (snapshots). */
  stateDir: string;
}

export type DriverFactory = (ctx: DriverContext) => Promise<NicDriver>;

/**
 * The explicit driver registry (STYLE.md #1): a name maps to a lazy import, so the linux
 * driver's native transport is loaded only when it is chosen.
 */
const REGISTRY: Record<string, DriverFactory> = {
  sim: async (ctx) => (await import('./sim/index.js')).createSimDriver(ctx),
  linux: async (ctx) => (await import('./linux/index.js')).createLinuxDriver(ctx),
};

export function driverNames(): string[] {
  return Object.keys(REGISTRY).sort();
}

export async function createDriver(name: string, ctx: DriverContext): Promise<NicDriver> {
  const factory = REGISTRY[name];
  if (!factory) {
    throw new Error(
      `unknown driver "${name}": valid drivers are ${driverNames().join(', ')}; set "driver" in the main config to one of them`,
    );
  }
  return factory(ctx);
}
