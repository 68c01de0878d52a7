import type { NicDriver } from '../driver.js';
import { UnsupportedError } from '../driver.js';
import type { DriverContext } from '../registry.js';

/** Placeholder until the sim driver lands; the registry already names it. */
export async function createSimDriver(_ctx: DriverContext): Promise<NicDriver> {
  throw new UnsupportedError('sim', 'driver', 'not built yet');
}
