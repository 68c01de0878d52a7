import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { formatProblem } from '../../model/index.js';
import { ApiRequestError } from '../client.js';
import { type ConnectOptions, withClient, withConnection } from '../connect.js';

/** Read VF policies from a file (one policy or an array) or every *.json of a directory. */
export async function readPolicies(
  path: string,
): Promise<{ docs: unknown[]; fileOf: Map<string, string> }> {
  const files = (await stat(path)).isDirectory()
    ? (await readdir(path))
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => join(path, f))
    : [path];
  const docs: unknown[] = [];
  const fileOf = new Map<string, string>();
  for (const f of files) {
    let data: unknown;
    try {
      data = JSON.parse(await readFile(f, 'utf8'));
    } catch (err) {
      throw new Error(`${f}: invalid JSON: ${(err as Error).message}; nothing was applied`);
    }
    for (const d of Array.isArray(data) ? data : [data]) {
      docs.push(d);
      const name = (d as { name?: unknown })?.name;
      if (typeof name === 'string') fileOf.set(`vfs/${name}`, f);
    }
  }
  if (docs.length === 0) throw new Error(`${path}: no VF policies found (*.json)`);
  return { docs, fileOf };
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
    const { docs, fileOf } = await readPolicies(opts.file);
    await withClient(opts, async (c) => {
      try {
        const r = await c.apply({ vfs: docs as never });
        for (const [label, names] of Object.entries(r))
          if (names.length) process.stdout.write(`${label}: ${names.join(', ')}\n`);
      } catch (err) {
        if (err instanceof ApiRequestError && err.body.problems) {
          const lines = err.body.problems.map(
            (p) => `  - ${formatProblem({ ...p, file: fileOf.get(p.file) ?? p.file })}`,
          );
          throw new Error(
            `refused, nothing was applied (${lines.length} problem${lines.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
          );
        }
        throw err;
      }
    });
  });
}
