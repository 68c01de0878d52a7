import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { crashRun } from './crash-run.js';
import { procEnv } from './daemon-proc.js';
import { knob, Prng } from './prng.js';

/**
 * Crash safety of the real daemon: SIGKILL at random moments under waves of up to 8
 * concurrent API mutations (so kills land inside the journal's group commit and its
 * compaction), multi-VF applies among them. Replay a failure with NICVISOR_SEED=<seed>; `npm run soak` runs a longer one
 * (NICVISOR_CRASH_KILLS, NICVISOR_CRASH_MUTATIONS).
 */
test('crash: acknowledged mutations survive SIGKILL inside group commit and compaction, nothing half-applied, NIC converges', async () => {
  const r = Prng.fromEnv();
  const kills = knob('NICVISOR_CRASH_KILLS', 22);
  const mutations = knob('NICVISOR_CRASH_MUTATIONS', 1100);
  console.log(`crash: seed ${r.seed} (replay with NICVISOR_SEED=${r.seed})`);
  const env = await procEnv();
  try {
    const f = await crashRun(env, r, { kills, mutations });
    console.log(
      `crash: ${f.mutations} mutations (${f.acknowledged} acknowledged, ${f.refused} refused), ` +
        `${f.kills} kills, ${f.inFlight} in flight at a kill (${f.inFlightApplied} found applied), ` +
        `${f.asideFiles} temp files moved aside, lost ${f.lost}, phantom ${f.phantom}; ` +
        `multi-VF changes: ${f.multiAcked} acknowledged, ${f.multiInFlight} in flight at a kill, ` +
        `torn ${f.tornMulti}; up to ${f.maxInFlight} in flight at once; ` +
        `${f.journalLeft} kills left records in the journal, ${f.tornTails} cut one mid-write`,
    );
    assert.equal(f.lost, 0);
    assert.equal(f.phantom, 0);
    assert.equal(f.tornMulti, 0);
    assert.ok(f.mutations >= Math.min(mutations, 1000) * 0.9, `only ${f.mutations} mutations ran`);
    assert.equal(f.kills, kills);
  } finally {
    await rm(env.dir, { recursive: true, force: true });
  }
});
