import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lagTable } from '../../src/cli/commands/show.js';
import { Lag, type LagView } from '../../src/model/index.js';

test('show lags: one row per member, the LAG columns on its first row', () => {
  const policy = Lag.parse({
    name: 'bond0',
    members: ['sim:nic1/0', 'sim:nic1/1'],
    mode: 'balance-xor',
  });
  const lags: LagView[] = [
    {
      name: 'bond0',
      policy,
      inSync: true,
      observed: {
        name: 'bond0',
        mode: 'balance-xor',
        members: [
          {
            pf: 'sim:nic1/0',
            linkUp: false,
            active: false,
            linkFailures: 1,
            txPackets: 10,
            rxPackets: 0,
          },
          {
            pf: 'sim:nic1/1',
            linkUp: true,
            active: true,
            linkFailures: 0,
            txPackets: 30,
            rxPackets: 5,
          },
        ],
        failovers: 1,
        lastFailoverMs: 42.25,
        lostFrames: null,
      },
    },
    {
      name: 'bond1',
      policy: { ...policy, name: 'bond1', vfLag: false },
      inSync: false,
      observed: null,
    },
  ];
  const rows = lagTable(lags)
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/));
  assert.deepEqual(rows[0].slice(0, 4), ['LAG', 'MODE', 'STATE', 'MEMBER']);
  assert.deepEqual(rows[1], [
    'bond0',
    'balance-xor',
    'vf-lag',
    'in-sync',
    'sim:nic1/0',
    'down',
    'no',
    '1',
    '10',
    '0',
    '1',
    '42.3ms',
    '-',
  ]);
  assert.deepEqual(rows[2], ['sim:nic1/1', 'up', 'yes', '0', '30', '5']);
  assert.deepEqual(rows[3], [
    'bond1',
    'balance-xor',
    'absent',
    'sim:nic1/0',
    '-',
    '-',
    '-',
    '-',
    '-',
    '-',
  ]);
});
