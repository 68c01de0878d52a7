import type { Command } from 'commander';
import type { PfCapabilities, Problem } from '../../model/index.js';
import { formatProblem } from '../../model/plain.js';

export const DEFAULT_MAIN_CONFIG = '/etc/nicvisor/nicvisor.json';

/**
 * `nicvisor validate FILE|DIR…` — offline: checks against the default capabilities of the
 * driver the main config names, since there is no daemon to ask what the NIC offers.
 */
export function register(program: Command): void {
  program
    .command('validate')
    .description('check a main config and VF policy files offline; every problem, then exit 1')
    .argument('<paths...>', `files or directories of *.json (one of them the main config)`)
    .action(async (paths: string[], opts: { json?: boolean }) => {
      // Loaded when the command runs: the schemas and the document parser are most of what
      // `nicvisor` would load at every start otherwise (bench/cli.ts).
      const { defaultCapabilityMap, KNOWN_DRIVERS, MainConfig } = await import(
        '../../model/index.js'
      );
      const { validate } = await import('../../policy/validate.js');
      const { loadDocuments } = await import('../config-files.js');
      const docs = await loadDocuments(paths);
      const problems: Problem[] = [...docs.problems];
      let summary = '';
      if (!docs.main && docs.unreadable.length === 0) {
        problems.push({
          file: paths.join(' '),
          field: '(document)',
          value: null,
          allowed: 'a main config among the inputs',
          fix: `add the main config to the command line, e.g. nicvisor validate ${DEFAULT_MAIN_CONFIG} ${paths.join(' ')}`,
          message: 'no main config given: VF policies cannot be checked without their PFs',
        });
      } else if (docs.main) {
        const parsed = MainConfig.safeParse(docs.main.data);
        let caps = new Map<string, PfCapabilities>();
        try {
          if (parsed.success) caps = defaultCapabilityMap(parsed.data);
        } catch (err) {
          problems.push({
            file: docs.main.file,
            field: 'driver',
            value: parsed.data?.driver,
            allowed: KNOWN_DRIVERS.join(', '),
            fix: `set "driver" to one of ${KNOWN_DRIVERS.join(', ')}`,
            message: (err as Error).message,
          });
        }
        const r = validate(docs.main, docs.vfs, caps);
        problems.push(...r.problems);
        if (r.config) {
          summary = `${r.config.pfs.length} PF(s), ${r.policies.length} VF policies, driver ${r.config.driver} (its default capabilities; the daemon checks against the NIC it finds)`;
        }
      }
      if (opts.json)
        process.stdout.write(
          `${JSON.stringify({ ok: problems.length === 0, problems }, null, 2)}\n`,
        );
      if (problems.length > 0) {
        if (!opts.json) {
          for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
          process.stderr.write(`${problems.length} problem(s) found\n`);
        }
        process.exitCode = 1;
        return;
      }
      if (!opts.json) process.stdout.write(`ok: ${summary}\n`);
    });
}
