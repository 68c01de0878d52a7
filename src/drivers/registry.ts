import type { DriverContext, NicDriver } from './driver.js';

export type { DriverContext } from './driver.js';

export type DriverFactory = (ctx: DriverContext) => Promise<NicDriver>;

/**
 * The explicit driver registry: a name maps to a lazy import, so the linux driver's native
 * transport (koffi) is loaded only when it is chosen, and an unknown name gets an error
 * listing the valid ones.
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
