import type { Command } from 'commander';
import { isRecord } from '../../model/plain.js';
import { ApiRequestError } from '../client.js';
import { type ConnectOptions, withClient } from '../connect.js';
import { CliError, emit, refusal } from '../output.js';

const REFUSED = 'refused, nothing was applied';

export function register(program: Command): void {
  program
    .command('apply')
    .description(
      'add or update VF policies from a file or directory, validated and written as one change',
    )
    .requiredOption('-f, --file <path>', 'a policy file (object or array) or a directory of *.json')
    .action(async (opts: ConnectOptions & { file: string }) => {
      // Loaded here, not at the start: the document parser and the model's schemas are
      // most of what `nicvisor` loads, and every other command runs without them.
      const { loadPolicies } = await import('../config-files.js');
      const { docs, problems } = await loadPolicies(opts.file);
      if (problems.length > 0) throw refusal(REFUSED, problems);
      if (docs.length === 0) throw new CliError(`${opts.file}: no VF policies found (*.json)`);
      // Problems the daemon finds name `vfs/NAME`: print the file the policy came from.
      const fileOf = new Map(
        docs.flatMap((d) =>
          isRecord(d.data) && typeof d.data.name === 'string'
            ? [[`vfs/${d.data.name}`, d.file]]
            : [],
        ),
      );
      await withClient(opts, async (c) => {
        try {
          const r = await c.apply({ vfs: docs.map((d) => d.data) as never });
          emit(opts, r, () =>
            Object.entries(r)
              .filter(([, names]) => names.length > 0)
              .map(([label, names]) => `${label}: ${names.join(', ')}`)
              .join('\n'),
          );
        } catch (err) {
          if (err instanceof ApiRequestError && err.body.problems) {
            throw refusal(
              REFUSED,
              err.body.problems.map((p) => ({ ...p, file: fileOf.get(p.file) ?? p.file })),
            );
          }
          throw err;
        }
      });
    });
}
