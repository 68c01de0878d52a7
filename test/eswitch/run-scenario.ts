import { toVfCounters } from '../../src/drivers/sim/counters.js';
import type { Capture, Port } from '../../src/drivers/sim/index.js';
import { HOST_INDEX } from '../../src/drivers/sim/vf.js';
import type { EswitchMode, VfCounters } from '../../src/model/index.js';
import { PF, programmed } from './kit.js';
import type { Scenario } from './scenario.js';

/** Where each frame went: per sent frame, its verdict and what every port received. */
export interface Trace {
  frames: { verdict: unknown; seen: Record<string, string[]> }[];
  counters: Record<string, VfCounters>;
  /** Frames the eswitch rules matched (0 in legacy mode). */
  hits: number;
}

/** Program the scenario's PF in one mode, send its frames, record everything that moved. */
export async function runScenario(mode: EswitchMode, s: Scenario): Promise<Trace> {
  const { driver } = await programmed(mode, s.policies, s.pf, s.guests, (d) => {
    d.nic.setHost(PF, s.host);
  });
  const nic = driver.nic;
  const pf = nic.pf(PF);
  s.groups.forEach((g, i) => {
    pf.setGroups(i, g);
  });
  pf.setGroups(HOST_INDEX, ['33:33:00:00:00:01']);
  const points: Port[] = [...pf.vfs.map((v) => v.index), 'host', 'wire'];
  const caps = new Map<string, Capture>(points.map((p) => [String(p), nic.capture(PF, p)]));
  const frames: Trace['frames'] = [];
  for (const f of s.frames) {
    const seenFrom = new Map([...caps].map(([k, c]) => [k, c.frames.length]));
    const verdict = nic.send(PF, f.from, Buffer.from(f.hex, 'hex'));
    const seen: Record<string, string[]> = {};
    for (const [k, c] of caps) {
      const got = c.frames
        .slice(seenFrom.get(k))
        .map((x) => `${x.data.toString('hex')}${x.mirrored ? ' mirror' : ''}`);
      if (got.length > 0) seen[k] = got.sort();
    }
    frames.push({ verdict, seen });
  }
  const counters: Record<string, VfCounters> = {
    pf: toVfCounters(pf.counters),
    host: toVfCounters(pf.host.counters),
  };
  for (const v of pf.vfs) counters[`vf${v.index}`] = toVfCounters(v.counters);
  const rules = (await driver.observe({ pf: PF }))[0].eswitch?.rules ?? [];
  const hits = rules.reduce((n, r) => n + r.packets, 0);
  return { frames, counters, hits };
}
