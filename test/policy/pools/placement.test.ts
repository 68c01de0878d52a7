import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Claim, Pool, type PoolInput } from '../../../src/model/index.js';
import { place, type Slot } from '../../../src/policy/pools/placement.js';

const pool = (p: Partial<PoolInput> = {}) =>
  Pool.parse({ name: 'p', pfs: ['a', 'b'], physicalNetwork: 'net', ...p });

function slots(spec: Record<string, (string | null)[]>, numa: Record<string, number> = {}): Slot[] {
  return Object.entries(spec).flatMap(([pf, vfs]) =>
    vfs.map((h, vf) => ({
      pf,
      vf,
      ...(numa[pf] !== undefined ? { numaNode: numa[pf] } : {}),
      holder:
        h === null
          ? null
          : h.startsWith('c')
            ? { kind: 'claim' as const, claim: h }
            : { kind: 'policy' as const, name: h },
    })),
  );
}

const owner = { kind: 'vm' as const, id: 'vm1' };
const claim = (pf: string, group: string, o = owner): Claim =>
  ({
    id: `p-1`,
    pool: 'p',
    pf,
    vf: 0,
    owner: o,
    mac: '02:00:00:00:00:01',
    since: '',
    fence: 1,
    policy: 'claim-p-1',
    group,
    state: 'active',
  }) as Claim;

describe('placement', () => {
  it('pack takes the busiest PF with a free VF, lowest index, and says so', () => {
    const r = place(pool(), slots({ a: ['c1', null, null], b: ['c2', 'c3', null] }), [], { owner });
    assert.ok(r.ok);
    assert.deepEqual([r.pf, r.vf], ['b', 2]);
    assert.match(r.why.join('\n'), /pack: PF b has 2 of 3 VFs in use/);
  });

  it('spread takes the PF with the most free VFs', () => {
    const r = place(
      pool({ placement: 'spread' }),
      slots({ a: ['c1', null, null], b: ['c2', 'c3', null] }),
      [],
      { owner },
    );
    assert.ok(r.ok);
    assert.deepEqual([r.pf, r.vf], ['a', 1]);
  });

  it('refuses when full, counting claims and static policies', () => {
    const r = place(pool(), slots({ a: ['c1', 'web-1'], b: ['c2'] }), [], { owner });
    assert.equal(r.ok, false);
    assert.match(r.why.join(), /3 VFs: 2 claimed, 1 held by VF policies \(web-1\), none free/);
  });

  it('anti-affinity keeps a group off PFs it already holds, and refuses when only those are free', () => {
    const s = slots({ a: ['c5', null], b: [null, null] });
    const r = place(pool(), s, [claim('a', 'bond0')], { owner, group: 'bond0' });
    assert.ok(r.ok);
    assert.equal(r.pf, 'b');
    // Another owner's group of the same name does not count.
    const other = place(pool(), s, [claim('a', 'bond0', { kind: 'vm', id: 'vm2' })], {
      owner,
      group: 'bond0',
    });
    assert.ok(other.ok && other.pf === 'a');
    const none = place(pool(), slots({ a: [null, null], b: ['c9'] }), [claim('a', 'bond0')], {
      owner,
      group: 'bond0',
    });
    assert.equal(none.ok, false);
    assert.match(
      none.why.join(),
      /anti-affinity: group bond0 of vm:vm1 already holds a claim on a/,
    );
  });

  it('prefers NUMA-local VFs, falls back unless strict', () => {
    const s = slots({ a: [null], b: [null] }, { a: 0, b: 1 });
    const local = place(pool(), s, [], { owner, numaNode: 1 });
    assert.ok(local.ok && local.pf === 'b' && local.numaNode === 1);
    const full = slots({ a: [null], b: ['c1'] }, { a: 0, b: 1 });
    const remote = place(pool(), full, [], { owner, numaNode: 1 });
    assert.ok(remote.ok && remote.pf === 'a');
    assert.match(remote.why.join(), /no free VF local/);
    const strict = place(pool(), full, [], { owner, numaNode: 1, numaStrict: true });
    assert.equal(strict.ok, false);
    assert.match(strict.why.join(), /numaStrict/);
  });

  it('property: never hands out a held VF, never breaks anti-affinity, refuses only when nothing fits', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.constantFrom('pack', 'spread'),
        fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
        (pfs, placement, groupPf) => {
          const s: Slot[] = pfs.flatMap((vfs, i) =>
            vfs.map((held, vf) => ({
              pf: `pf${i}`,
              vf,
              holder: held ? { kind: 'claim' as const, claim: `c${i}-${vf}` } : null,
            })),
          );
          const claims =
            groupPf !== undefined && groupPf < pfs.length ? [claim(`pf${groupPf}`, 'g')] : [];
          const p = pool({
            pfs: pfs.map((_, i) => `pf${i}`),
            placement: placement as 'pack' | 'spread',
          });
          const r = place(p, s, claims, { owner, group: 'g' });
          const fits = s.filter((x) => x.holder === null && !claims.some((c) => c.pf === x.pf));
          if (!r.ok) return fits.length === 0;
          return fits.some((x) => x.pf === r.pf && x.vf === r.vf);
        },
      ),
      { numRuns: 300 },
    );
  });
});
