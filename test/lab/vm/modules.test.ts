// Runs inside the lab VM (test/lab/vm/netdevsim.sh): every module the project chose for the
// VM (test/lab/image/modules.txt) loads, and the netdevs and TC rules later work builds on
// them can be made with the standard tools.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from '../../drivers/linux/fixtures.js';
import { sh, skipUnless } from './env.js';

const skip = skipUnless('netdevsim');

function chosenModules(): string[] {
  const text = readFileSync(join(repoRoot(), 'test/lab/image/modules.txt'), 'utf8');
  return text
    .split('\n')
    .flatMap((l) => l.replace(/#.*/, '').trim().split(/\s+/))
    .filter(Boolean);
}

/** Runs a command; on failure the assertion carries its stderr. */
function ok(cmd: string): void {
  try {
    sh(`${cmd} 2>&1`);
  } catch (e) {
    assert.fail(`${cmd}: ${(e as { stdout?: string }).stdout ?? (e as Error).message}`);
  }
}

describe('the lab VM kernel modules', { skip }, () => {
  before(() => sh('ip link add lm0 type veth peer name lm1 && ip link set lm0 up'));
  after(() =>
    sh('for l in lm0 lmbond lmteam lmbr lmmv lmd; do ip link del $l 2>/dev/null; done; true'),
  );

  it('loads every module of modules.txt', () => {
    const all = chosenModules();
    try {
      sh(`modprobe -a ${all.join(' ')} 2>&1`); // one process: each spawn costs ~0.5 s here
    } catch {
      const failed = all.filter((m) => {
        try {
          sh(`modprobe ${m} 2>&1`);
          return false;
        } catch {
          return true;
        }
      });
      assert.deepEqual(failed, [], 'modules that do not load');
    }
  });

  it('makes bonds, teams, bridges, macvlans, dummies and 802.1ad VLANs', () => {
    ok('ip link add lmbond type bond mode active-backup');
    ok('ip link add lmteam type team');
    ok('ip link add lmbr type bridge vlan_filtering 1');
    ok('ip link add lmmv link lm1 type macvlan mode bridge');
    ok('ip link add lmd type dummy');
    ok('ip link add link lmd name lmd.200 type vlan protocol 802.1ad id 200');
  });

  it('takes clsact with flower, u32, matchall and basic rules and every chosen action', () => {
    ok('tc qdisc add dev lm0 clsact');
    const rule = (what: string) => ok(`tc filter add dev lm0 ingress ${what}`);
    rule(
      'protocol 802.1q flower vlan_id 100 action vlan pop action mirred egress redirect dev lm1',
    );
    rule('protocol ip flower ip_proto udp action pedit ex munge ip ttl set 9 action csum ip udp');
    rule('protocol all matchall action police rate 1mbit burst 10k conform-exceed drop');
    rule('protocol all u32 match u32 0 0 action skbedit priority 3');
    rule('protocol all basic action gact pass');
    rule('protocol all matchall action sample rate 100 group 5');
    ok(
      'tc filter add dev lm0 egress protocol ip flower ' +
        'action tunnel_key set src_ip 10.0.0.1 dst_ip 10.0.0.2 id 42 dst_port 4789',
    );
    const kinds = (dir: string) =>
      new Set(
        [...sh(`tc -j filter show dev lm0 ${dir}`).matchAll(/"kind":"(\w+)"/g)].map((m) => m[1]),
      );
    const want = 'flower u32 matchall basic vlan mirred pedit csum police skbedit gact sample';
    assert.deepEqual(
      want.split(' ').filter((k) => !kinds('ingress').has(k)),
      [],
      'filter and action kinds missing from the ingress dump',
    );
    assert.ok(kinds('egress').has('tunnel_key'), 'tunnel_key on egress');
  });
});
