/** Small daemon commands: ping, reload, log-level, credential. */
import type { Command } from 'commander';
import { LogLevel } from '../../model/index.js';
import { type ConnectOptions, withClient, withConnection } from '../connect.js';

export function register(program: Command): void {
  withConnection(program.command('ping').description('check the daemon answers')).action(
    async (opts: ConnectOptions) => {
      await withClient(opts, async (c) => {
        const t0 = performance.now();
        const h = await c.health();
        const ms = (performance.now() - t0).toFixed(1);
        process.stdout.write(
          `${h.status} from ${c.target} in ${ms} ms: nicvisor ${h.version}, driver ${h.driver}, ${h.inSync}/${h.vfs} VFs in sync, ${h.failed} failed\n`,
        );
      });
    },
  );

  withConnection(
    program.command('reload').description('re-read the config files (like SIGHUP)'),
  ).action(async (opts: ConnectOptions) => {
    await withClient(opts, async (c) => {
      const r = await c.reload();
      process.stdout.write(
        `reloaded: added [${r.added.join(', ')}] changed [${r.changed.join(', ')}] removed [${r.removed.join(', ')}]${r.mainChanged ? ' main config changed' : ''}\n`,
      );
    });
  });

  withConnection(
    program
      .command('log-level')
      .argument('<level>', LogLevel.options.join('|'))
      .description('change the daemon log level'),
  ).action(async (level: string, opts: ConnectOptions) => {
    const parsed = LogLevel.safeParse(level);
    if (!parsed.success)
      throw new Error(`log level "${level}" is not one of ${LogLevel.options.join(', ')}`);
    await withClient(opts, async (c) => {
      const r = await c.setLogLevel(parsed.data);
      process.stdout.write(`log level ${r.previous} -> ${r.level}\n`);
    });
  });

  withConnection(
    program
      .command('credential')
      .argument('<vf>', 'VF name')
      .description(
        'issue a guest credential for one VF (prints the token once; replaces any previous one)',
      ),
  ).action(async (vf: string, opts: ConnectOptions) => {
    await withClient(opts, async (c) => {
      const r = await c.issueCredential(vf);
      process.stdout.write(`${r.token}\n`);
    });
  });
}
