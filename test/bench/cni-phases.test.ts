// bench/cni.ts cuts each traced CNI run into phases from the plugin's NICVISOR_CNI_TRACE lines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { phases } from '../../bench/cni.js';

test('phases: each step from the one before, the last to the exit; unknown lines ignored', () => {
  const stderr = [
    'nicvisor-cni: started at 410 ms',
    'nicvisor-cni: IPAM at 700 ms',
    'nicvisor-cni: claimed pods-3 at 1210 ms',
    'nicvisor-cni: netdev eth3 at 1260 ms',
    'nicvisor-cni: moved into the namespace and addressed at 1900 ms',
    'something else at 5 ms',
  ].join('\n');
  assert.deepEqual(
    [...phases(stderr, 2000, ['started', 'claimed', 'moved'])],
    [
      ['spawn → started', 410],
      ['started → claimed', 800],
      ['claimed → moved', 690],
      ['moved → exit', 100],
    ],
  );
});

test('phases: a step missing from the trace is skipped, its time goes to the next one', () => {
  const stderr = 'nicvisor-cni: started at 300 ms\nnicvisor-cni: released at 900 ms\n';
  assert.deepEqual(
    [...phases(stderr, 1000, ['started', 'found', 'moved out', 'released'])],
    [
      ['spawn → started', 300],
      ['started → released', 600],
      ['released → exit', 100],
    ],
  );
});

test('phases: with the spawn time and the time origin line, the exec before node is its own phase', () => {
  const stderr = [
    'nicvisor-cni: time origin 1000250.5',
    'nicvisor-cni: node bootstrapped at 150 ms',
    'nicvisor-cni: started at 400 ms',
    'nicvisor-cni: exiting at 900 ms',
  ].join('\n');
  assert.deepEqual(
    [...phases(stderr, 1300, ['node bootstrapped', 'started', 'exiting'], 1000000)],
    [
      ['spawn → process began', 250.5],
      ['process began → node bootstrapped', 150],
      ['node bootstrapped → started', 250],
      ['started → exiting', 500],
      ['exiting → exit', 149.5],
    ],
  );
});
