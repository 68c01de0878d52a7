/** Small daemon commands: ping, reload, log-level, credential. */
import { Argument, type Command } from 'commander';
import type { LogLevel } from '../../model/index.js';
import { LOG_LEVELS } from '../../model/plain.js';
import { ApiRequestError } from '../client.js';
import { type ConnectOptions, withClient } from '../connect.js';
import { CliError, EXIT, emit, refusal } from '../output.js';

const list = (names: string[]) => `[${names.join(', ')}]`;

export function register(program: Command): void {
  program
    .command('ping')
    .description('check the daemon answers')
    .action(async (opts: ConnectOptions) => {
      await withClient(opts, async (c) => {
        const t0 = performance.now();
        const h = await c.health();
        const ms = Number((performance.now() - t0).toFixed(1));
        emit(
          opts,
          { ...h, target: c.target, ms },
          () =>
            `${h.status} from ${c.target} in ${ms} ms: nicvisor ${h.version}, driver ${h.driver}, ${h.inSync}/${h.vfs} VFs in sync, ${h.failed} failed`,
        );
      });
    });

  program
    .command('reload')
    .description('re-read the config files (like SIGHUP); a refusal changes nothing')
    .action(async (opts: ConnectOptions) => {
      await withClient(opts, async (c) => {
        try {
          const r = await c.reload();
          emit(
            opts,
            r,
            () =>
              `reloaded: added ${list(r.added)} changed ${list(r.changed)} removed ${list(r.removed)}${r.mainChanged ? ' main config changed' : ''}`,
          );
        } catch (err) {
          if (err instanceof ApiRequestError && err.body.problems?.length)
            throw refusal(
              'reload refused, the running configuration is unchanged',
              err.body.problems,
            );
          throw err;
        }
      });
    });

  program
    .command('log-level')
    .addArgument(new Argument('<level>', 'the new level').choices(LOG_LEVELS))
    .description('change the daemon log level (until it restarts)')
    .action(async (level: string, opts: ConnectOptions) => {
      if (!(LOG_LEVELS as readonly string[]).includes(level))
        throw new CliError(
          `log level "${level}" is not one of ${LOG_LEVELS.join(', ')}`,
          EXIT.usage,
        );
      await withClient(opts, async (c) => {
        const r = await c.setLogLevel(level as LogLevel);
        emit(opts, r, () => `log level ${r.previous} -> ${r.level}`);
      });
    });

  program
    .command('credential')
    .argument('<vf>', 'VF name')
    .description(
      'issue a guest credential for one VF (prints the token once; replaces any previous one)',
    )
    .action(async (vf: string, opts: ConnectOptions) => {
      await withClient(opts, async (c) => {
        const r = await c.issueCredential(vf);
        emit(opts, r, () => r.token);
      });
    });
}
