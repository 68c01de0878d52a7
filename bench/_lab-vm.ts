// Boots the lab VM (test/lab/boot/run-vm.sh) to run one bench script inside it and adopts the
// figures the script wrote as JSON (NICVISOR_BENCH_JSON) into the host's report, labelled as
// lab VM figures. Shared by the benches that need a real kernel (switchdev, cni).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { atMost, type Bench, type Figure } from './_report.js';

export interface LabVmBench {
  /** Human name in the skip and failure lines ("switchdev bench"). */
  name: string;
  /** The script inside test/lab/vm/ the VM runs. */
  script: string;
  /** Extra run-vm.sh options (e.g. `--igb`). */
  vmArgs?: string[];
}

export function benchInLabVm(b: Bench, o: LabVmBench): void {
  if (process.getuid?.() !== 0) {
    console.log(`  ${o.name} in the lab VM skipped: not root (QEMU needs root here)`);
    return;
  }
  const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
  const share = mkdtempSync(join(tmpdir(), 'nicvisor-bench-vm-'));
  const json = join(share, 'figures.json');
  try {
    const r = spawnSync(
      join(repo, 'test/lab/boot/run-vm.sh'),
      [
        '-s',
        share,
        ...(o.vmArgs ?? []),
        '--timeout',
        '1800',
        '--env',
        'NICVISOR_BENCH_JSON',
        join(repo, 'test/lab/vm', o.script),
      ],
      {
        cwd: repo,
        env: { ...process.env, NICVISOR_BENCH_JSON: json },
        stdio: ['ignore', 'pipe', 'inherit'],
        encoding: 'utf8',
      },
    );
    // A boot that did not finish is a missed figure, not a quiet "0 figures".
    if (r.status !== 0) {
      console.log(`  ${o.name}: lab VM exited ${r.status}\n${r.stdout}`);
      b.figure(
        `${o.name}: lab VM exit status`,
        r.status ?? Number.NaN,
        '',
        atMost(0),
        r.signal ? `killed by ${r.signal}` : 'see the VM output above',
      );
    }
    if (!existsSync(json)) return;
    for (const f of JSON.parse(readFileSync(json, 'utf8')) as Figure[])
      b.adopt(f, 'lab VM (TCG): ');
  } finally {
    rmSync(share, { recursive: true, force: true });
  }
}
