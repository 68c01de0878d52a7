import type { NicDriver } from '../driver.js';
import { UnsupportedError } from '../driver.js';
import type { DriverContext } from '../registry.js';

/** Placeholder until the linux driver lands; the registry already names it. */
export async function createLinuxDriver(_ctx: DriverContext): Promise<NicDriver> {
  throw new UnsupportedError('linux', 'driver', 'not built yet');
}
