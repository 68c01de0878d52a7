import { MainConfig } from '../../model/index.js';
import type { DriverContext } from '../driver.js';
import { type Clock, realClock } from './clock.js';
import { DemoTraffic } from './demo.js';
import { SimDriver } from './driver.js';
import { createNic } from './nic.js';

export { buildFrame, macToNum, numToMac } from './build.js';
export { Capture, type CapturedFrame } from './capture.js';
export { type Clock, ManualClock, realClock } from './clock.js';
export { DemoTraffic } from './demo.js';
export { SimDriver } from './driver.js';
export { createNic, type NicSpec, type Port, SimNic } from './nic.js';
export type { FramePath, TxVerdict } from './path.js';
export { decodePcap, encodePcap, type PcapRecord, readPcapFile, writePcapFile } from './pcap.js';
export { replayPcap } from './replay.js';

export interface SimDriverOptions {
  /** Default: real time. Tests pass a ManualClock to make rate limits deterministic. */
  clock?: Clock;
}

/** The sim driver from `MainConfig.sim` (default: one NIC `nic0` with 2 ports of 64 VFs). */
export async function createSimDriver(
  ctx: DriverContext,
  options: SimDriverOptions = {},
): Promise<SimDriver> {
  const sim = ctx.config.sim ?? MainConfig.parse({ sim: {} }).sim!;
  const nic = createNic(sim.nics, options.clock ?? realClock);
  return new SimDriver(nic, sim.demoTraffic ? new DemoTraffic(nic, 250, sim.demoCableFlaps) : null);
}
