import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  atLeast,
  atMost,
  type Figure,
  formatFigure,
  parseBenchArgs,
  Report,
  runBenches,
} from '../../bench/_report.js';

function collect(): { report: Report; lines: string[] } {
  const lines: string[] = [];
  return { report: new Report((l) => lines.push(l)), lines };
}

describe('bench report', () => {
  it('prints each figure with its value, unit, goal and whether it is met', () => {
    const { report, lines } = collect();
    const b = report.bench('policy');
    b.figure('authorise latency p99', 5.8, 'µs', atMost(20));
    b.figure('VF → wire', 8.8, 'Mpps', atLeast(14.88));
    b.figure('GET /metrics, size', 1946.2, 'KiB');
    assert.match(lines[0], /^ {2}✔ authorise latency p99 +5\.80 µs {3}goal ≤ 20 µs$/);
    assert.match(lines[1], /^ {2}✖ VF → wire +8\.80 Mpps {3}goal ≥ 14\.88 Mpps$/);
    assert.match(lines[2], /^ {2}· GET \/metrics, size +1,946 KiB {3}no goal$/);
    assert.deepEqual(
      report.figures.map((f) => f.met),
      [true, false, null],
    );
    assert.equal(report.summary(), '3 figures: 1 goals met ✔, 1 missed ✖, 1 without a goal');
  });

  it('a goal is met at its bound, and a value that is not a number misses it', () => {
    const { report } = collect();
    const b = report.bench('x');
    assert.equal(b.figure('at the bound', 20, 'µs', atMost(20)).met, true);
    assert.equal(b.figure('not measured', Number.NaN, 'µs', atMost(20)).met, false);
    assert.equal(b.figure('no goal', Number.NaN, 'µs').met, null);
  });

  it('a ratio carries both operands of the same run and prints them', () => {
    const { report, lines } = collect();
    const b = report.bench('linux');
    const ip = b.figure('spawned ip p50', 2750, 'µs');
    const drv = b.figure('driver p50', 91, 'µs');
    const r = b.ratio('spawned ip / driver', ip, drv, atLeast(40));
    assert.equal(r.unit, '×');
    assert.ok(Math.abs(r.value - 2750 / 91) < 1e-9);
    assert.equal(r.met, false);
    assert.deepEqual(r.ratio, {
      of: { name: 'spawned ip p50', value: 2750, unit: 'µs' },
      over: { name: 'driver p50', value: 91, unit: 'µs' },
    });
    assert.match(
      lines[2],
      /✖ spawned ip \/ driver +30\.2 × {3}goal ≥ 40 × {2}\(2,750 µs \/ 91 µs\)$/,
    );
    assert.throws(() => b.ratio('mixed', ip, { name: 'n', value: 1, unit: 'ms' }), /µs over ms/);
  });

  it('a note follows the goal', () => {
    const f: Figure = {
      bench: 'daemon',
      name: 'cold start',
      value: 316,
      unit: 'ms',
      goal: atMost(1000),
      met: true,
      note: '1024 driver steps',
    };
    assert.match(formatFigure(f), /goal ≤ 1,000 ms {2}\(1024 driver steps\)$/);
  });

  it('figures from another run keep their goal under a prefixed name', () => {
    const { report } = collect();
    const vm = collect().report.bench('linux');
    const f = vm.figure('one VF change p50', 5900, 'µs', atMost(100));
    const adopted = report.bench('linux').adopt(f, 'lab VM (TCG): ');
    assert.equal(adopted.name, 'lab VM (TCG): one VF change p50');
    assert.deepEqual(adopted.goal, atMost(100));
    assert.equal(adopted.met, false);
  });

  it('--json FILE writes every figure of every bench run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nicvisor-report-'));
    try {
      const file = join(dir, 'figures.json');
      const args = parseBenchArgs(['--json', file, 'b']);
      assert.deepEqual(args, { json: file, only: ['b'] });
      const modules = [
        { name: 'a', run: async () => assert.fail('a was not asked for') },
        {
          name: 'b',
          run: async (b: ReturnType<Report['bench']>) => {
            b.figure('rate', 3.5, 'Mpps', atLeast(2));
            b.figure('size', 12, 'KiB');
          },
        },
      ];
      await runBenches(modules, args, collect().report);
      const written = JSON.parse(await readFile(file, 'utf8'));
      assert.deepEqual(written, [
        {
          bench: 'b',
          name: 'rate',
          value: 3.5,
          unit: 'Mpps',
          goal: { op: '>=', value: 2 },
          met: true,
        },
        { bench: 'b', name: 'size', value: 12, unit: 'KiB', goal: null, met: null },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an unknown bench name is refused with the valid ones', async () => {
    const modules = [{ name: 'policy', run: async () => {} }];
    await assert.rejects(
      runBenches(modules, parseBenchArgs(['polcy']), collect().report),
      /unknown bench polcy; valid: policy/,
    );
  });
});
