import type { DriverContext, NicDriver } from '../driver.js';
import { LinuxDriver } from './linux-driver.js';

export { LinuxDriver, type LinuxDriverOptions } from './linux-driver.js';

/** Registry entry: sysfs root from the main config, snapshots under the daemon's state dir. */
export async function createLinuxDriver(ctx: DriverContext): Promise<NicDriver> {
  const overrides = new Map<string, number>();
  for (const pf of ctx.config.pfs) if (pf.totalVfs !== undefined) overrides.set(pf.pf, pf.totalVfs);
  return new LinuxDriver({
    sysfsRoot: ctx.config.linux?.sysfsRoot ?? '/sys',
    stateDir: ctx.stateDir,
    totalVfsOverrides: overrides,
  });
}
