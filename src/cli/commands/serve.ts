import { type Command, Option } from 'commander';
import type { LogFormat } from '../../daemon/logger.js';

const LOG_FORMATS: LogFormat[] = ['json', 'pretty'];

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the daemon (without --config: the embedded demo on the simulated NIC)')
    .option('--config <file>', 'main config file, e.g. /etc/nicvisor/nicvisor.json')
    .option('--state-dir <dir>', 'override daemon.stateDir (VF policies, guest state, audit log)')
    .option('--socket <path>', 'override daemon.socket (API Unix socket)')
    .addOption(
      new Option(
        '--log-format <format>',
        'log lines on stderr: pretty (readable) or json (journald, log shippers); default: pretty on a terminal, else json',
      ).choices(LOG_FORMATS),
    )
    .action(
      async (opts: {
        config?: string;
        stateDir?: string;
        socket?: string;
        logFormat?: LogFormat;
      }) => {
        // Loaded here: the daemon, fastify and the drivers are for `serve` only, and every
        // other command (and each shell completion) starts faster without them.
        const { serve } = await import('../serve.js');
        await serve(opts);
      },
    );
}
