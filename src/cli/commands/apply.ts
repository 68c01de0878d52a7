import type { Command } from 'commander';
import { formatProblem, isRecord, type Problem } from '../../model/index.js';
import { ApiRequestError } from '../client.js';
import { loadPolicies } from '../config-files.js';
import { type ConnectOptions, withClient, withConnection } from '../connect.js';

function refusal(problems: Problem[]): Error {
  const lines = problems.map((p) => `  - ${formatProblem(p)}`);
  const n = `${lines.length} problem${lines.length === 1 ? '' : 's'}`;
  return new Error(`refused, nothing was applied (${n}):\n${lines.join('\n')}`);
}

export function register(program: Command): void {
  withConnection(
    program
      .command('apply')
      .description(
        'add or update VF policies from a file or directory, validated and written as one change',
      )
      .requiredOption(
        '-f, --file <path>',
        'a policy file (object or array) or a directory of *.json',
      ),
  ).action(async (opts: ConnectOptions & { file: string }) => {
    const { docs, problems } = await loadPolicies(opts.file);
    if (problems.length > 0) throw refusal(problems);
    if (docs.length === 0) throw new Error(`${opts.file}: no VF policies found (*.json)`);
    // Problems the daemon finds name `vfs/NAME`: print the file the policy came from.
    const fileOf = new Map(
      docs.flatMap((d) =>
        isRecord(d.data) && typeof d.data.name === 'string' ? [[`vfs/${d.data.name}`, d.file]] : [],
      ),
    );
    await withClient(opts, async (c) => {
      try {
        const r = await c.apply({ vfs: docs.map((d) => d.data) as never });
        for (const [label, names] of Object.entries(r))
          if (names.length) process.stdout.write(`${label}: ${names.join(', ')}\n`);
      } catch (err) {
        if (err instanceof ApiRequestError && err.body.problems) {
          throw refusal(
            err.body.problems.map((p) => ({ ...p, file: fileOf.get(p.file) ?? p.file })),
          );
        }
        throw err;
      }
    });
  });
}
