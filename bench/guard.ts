/**
 * The cost of the linux driver's MAC guard (guarded trust, watch mode: docs/ha.md).
 *
 * - **Watching 256 guarded VFs**: one PF with 256 VFs, all guarded, polled every 100 ms
 *   (the driver's default). Each poll is what the driver does: one RTM_GETLINK round trip
 *   through the netlink worker (here of `lo`: the host has no SR-IOV, so the same syscalls
 *   and thread hops with a short answer), the decode of a 256-VF answer without stats
 *   (~50 KB, laid out as Linux 6.1 fills it) and the guard's comparison of every VF. CPU per
 *   second of watching = CPU per poll × 10, measured with process.cpuUsage() (every thread)
 *   over 300 polls back to back. Goal ≤ 20 ms/s (2 % of one core), so guarding is cheap
 *   next to the daemon's 1 s stats loop. Decode + compare alone is stated beside it.
 * - The exposure window itself needs a guest changing its MAC on a real PF driver: measured
 *   in the igb lab VM (test/lab/vm/guard-watch.test.ts prints it as figure lines).
 */
import { MacGuard } from '../src/drivers/linux/mac-guard.js';
import { decodeLink, type LinkInfo } from '../src/drivers/linux/netlink/link-decode.js';
import { splitMessages } from '../src/drivers/linux/netlink/message.js';
import { Rtnl } from '../src/drivers/linux/rtnl.js';
import { VfCache } from '../src/drivers/linux/vf-cache.js';
import { kernelPfMessage } from '../test/drivers/linux/synthetic.js';
import { atMost, type Bench } from './_report.js';

const PF = '0000:01:00.0';
const VFS = 256;
const POLLS = 300;
const PER_SECOND = 10; // the default guardIntervalMs of 100 ms

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export async function run(b: Bench): Promise<void> {
  const [msg] = [...splitMessages(kernelPfMessage(VFS, false))];
  const first = decodeLink(msg.payload);
  const cache = new VfCache();
  cache.rememberLink(PF, first);
  const rtnl = new Rtnl();
  await rtnl.open();
  let asked = 0;
  const guard = (withIo: boolean) =>
    new MacGuard({
      cache,
      read: async (): Promise<Map<string, LinkInfo>> => {
        if (withIo) await rtnl.getLinks([1], false);
        return new Map([[PF, decodeLink(msg.payload)]]);
      },
      setMac: async () => ({ errno: 0 }),
      handler: () => async () => {
        asked++;
        return { result: 'ack', reason: 'bench' };
      },
      emit: () => {},
      epoch: () => 0,
    });
  try {
    for (const io of [false, true]) {
      const g = guard(io);
      for (let vf = 0; vf < VFS; vf++) g.watch(PF, vf, true);
      for (let i = 0; i < 30; i++) await g.poll(); // warm up
      const c0 = cpuMs();
      for (let i = 0; i < POLLS; i++) await g.poll();
      const perPoll = (cpuMs() - c0) / POLLS;
      if (io)
        b.figure(
          `MAC guard: CPU to watch ${VFS} guarded VFs at ${PER_SECOND} polls/s`,
          perPoll * PER_SECOND,
          'ms/s',
          atMost(20),
          `${(perPoll * 1000).toFixed(0)} µs per poll: netlink round trip + decode + compare`,
        );
      else
        b.figure(`MAC guard: decode + compare of ${VFS} VFs, one poll`, perPoll * 1000, 'µs', null);
    }
    if (asked !== 0) throw new Error('bench: the guard asked about an unchanged VF');
  } finally {
    await rtnl.close();
  }
}
