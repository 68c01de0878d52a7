import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { runScenario } from './run-scenario.js';
import { scenarioArb } from './scenario.js';

/**
 * The switchdev eswitch is the legacy VEB written as rules: random policies, host
 * interfaces and frames through the sim in legacy mode and in switchdev mode (the compiled
 * rules evaluated) reach the same ports with the same bytes (tags included), get the same
 * verdicts, and move the same counters.
 */
test('eswitch: legacy VEB and switchdev rules switch every frame alike', async () => {
  let frames = 0;
  await fc.assert(
    fc.asyncProperty(scenarioArb(), async (s) => {
      const legacy = await runScenario('legacy', s);
      const switchdev = await runScenario('switchdev', s);
      frames += s.frames.length;
      s.frames.forEach((f, i) => {
        assert.deepEqual(
          switchdev.frames[i],
          legacy.frames[i],
          `frame ${i} from ${f.from}: ${f.hex}`,
        );
      });
      assert.deepEqual(switchdev.counters, legacy.counters);
      assert.equal(legacy.hits, 0, 'legacy mode has no rules');
      const switched = switchdev.frames.filter((f) => f.verdict === 'sent' || f.verdict === true);
      assert.ok(switchdev.hits >= switched.length, 'every frame that went somewhere met the rules');
    }),
    { numRuns: 150 },
  );
  assert.ok(frames >= 1500, `${frames} frames compared`);
});
