// The linux driver's failover count (src/drivers/linux/lags.ts), read by read: the kernel
// shows no active member between a member going down and miimon picking another, and the
// driver reads the members' links before their bond, so a read can show the new active member
// next to the old one still up. The lab's netdevsim bond hit both (failovers 0 after a
// failover, 2 boots in 5, more often with the host's tests beside the VM).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type FailoverTrack, LinuxLags, trackFailover } from '../../../src/drivers/linux/lags.js';
import type { LinkInfo } from '../../../src/drivers/linux/netlink/link-decode.js';
import type { PfEntry, PfRegistry } from '../../../src/drivers/linux/pf-registry.js';
import type { Rtnl } from '../../../src/drivers/linux/rtnl.js';

const A = 11;
const B = 12;

/** Feeds reads of [active ifindex, members whose link is up] and returns the count. */
function count(reads: [number, number[]][]): number {
  const t: FailoverTrack = { active: 0, wentDown: false, failovers: 0 };
  for (const [active, up] of reads) trackFailover(t, active, (i) => up.includes(i));
  return t.failovers;
}

describe('linux LAG failover count', () => {
  it('counts the active member going down and another taking over', () => {
    assert.equal(
      count([
        [A, [A, B]],
        [B, [B]],
      ]),
      1,
    );
  });

  it('counts it across a read with no active member (before miimon picks the other)', () => {
    assert.equal(
      count([
        [A, [A, B]],
        [0, [B]],
        [B, [B]],
      ]),
      1,
    );
    // …and when the member that went down is back up by the time the other is seen active.
    assert.equal(
      count([
        [A, [A, B]],
        [0, [A, B]],
        [B, [A, B]],
      ]),
      1,
    );
    assert.equal(
      count([
        [A, [A, B]],
        [A, [B]],
        [B, [A, B]],
      ]),
      1,
    );
  });

  it('does not count a change of active member while its link is up (primary, by hand)', () => {
    assert.equal(
      count([
        [A, [A, B]],
        [B, [A, B]],
        [A, [A, B]],
      ]),
      0,
    );
  });

  it('does not count the first read, nor the member coming back to the same place', () => {
    assert.equal(count([[B, [B]]]), 0);
    assert.equal(
      count([
        [A, [A, B]],
        [0, [B]],
        [A, [A, B]],
      ]),
      0,
    );
  });

  it('counts each failover of a flapping pair once', () => {
    assert.equal(
      count([
        [A, [A, B]],
        [0, [B]],
        [B, [B]],
        [B, [A, B]],
        [0, [A]],
        [A, [A]],
        [A, [A, B]],
      ]),
      2,
    );
  });
});

describe('linux LAG read path', () => {
  const BOND = 20;
  const pf = (id: string, ifindex: number) =>
    ({ sys: { id, ifindex }, eswitch: 'legacy', caps: {} }) as unknown as PfEntry;
  const entries = [pf('pfA', A), pf('pfB', B)];
  const member = (index: number, miiUp: boolean, active: boolean): LinkInfo =>
    ({
      index,
      name: `eth${index}`,
      vfs: [],
      master: BOND,
      linkInfo: { slaveKind: 'bond', bondSlave: { miiUp, active, linkFailures: miiUp ? 0 : 1 } },
    }) as unknown as LinkInfo;
  const bond = (activeSlave: number): LinkInfo =>
    ({
      index: BOND,
      name: 'bond0',
      vfs: [],
      linkInfo: {
        kind: 'bond',
        bond: {
          mode: 'active-backup',
          rawMode: 1,
          miimon: 50,
          lacpRate: 'slow',
          activeSlave,
          primary: 0,
        },
      },
    }) as unknown as LinkInfo;

  /** A kernel whose state the test sets; getLinks answers from it at the time of the call. */
  function world() {
    const now = { active: A, up: { [A]: true, [B]: true } as Record<number, boolean> };
    const link = (i: number) =>
      i === BOND ? bond(now.active) : member(i, now.up[i], now.active === i);
    /** Delays (ms) for the next getLinks answers: what it answers is read at the call. */
    const slow: number[] = [];
    const rtnl = {
      getLinks: async (ix: number[]) => {
        const answer = ix.map(link);
        await new Promise((r) => setTimeout(r, slow.shift() ?? 0));
        return answer;
      },
    } as unknown as Rtnl;
    const pfs = { all: () => entries } as unknown as PfRegistry;
    const lags = new LinuxLags(rtnl, pfs, () => {});
    const read = async (
      links = new Map([
        ['pfA', link(A)],
        ['pfB', link(B)],
      ]),
    ) => (await lags.observe(entries, links)).get('pfA')?.status.failovers;
    return { now, link, read, slow };
  }

  it('members read up before the failover, the bond after it: counted (the member is read again)', async () => {
    const w = world();
    assert.equal(await w.read(), 0);
    const stale = new Map([
      ['pfA', w.link(A)],
      ['pfB', w.link(B)],
    ]);
    w.now.up[A] = false;
    w.now.active = B;
    assert.equal(await w.read(stale), 1);
    assert.equal(await w.read(), 1, 'once');
  });

  it('a switch by hand with both members up: not counted', async () => {
    const w = world();
    await w.read();
    w.now.active = B;
    assert.equal(await w.read(), 0);
  });

  it('a slow read that began before the failover is taken before a newer one', async () => {
    const w = world();
    await w.read();
    w.slow.push(30); // the next read's bond answer (active A) comes back late
    const first = w.read();
    await new Promise((r) => setTimeout(r, 5));
    w.now.up[A] = false;
    w.now.active = B;
    const second = w.read();
    assert.deepEqual([await first, await second, await w.read()], [0, 1, 1]);
  });
});
