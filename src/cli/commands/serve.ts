import { type Command, Option } from 'commander';
import type { LogFormat } from '../../daemon/logger.js';

const LOG_FORMATS: LogFormat[] = ['json', 'pretty'];

import type { ServeOptions } from '../serve.js';

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
    .option(
      '--fleet <url>',
      'fleet mode: desired state from etcd, etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (etcds:// for TLS)',
    )
    .option('--fleet-ca <file>', 'CA certificate (PEM) of the fleet store')
    .option('--fleet-cert <file>', 'client certificate (PEM) for the fleet store')
    .option('--fleet-key <file>', 'client key (PEM) for the fleet store')
    .option('--host-name <name>', 'this host in the fleet (default: the machine host name)')
    .option('--labels <k=v,…>', 'labels the fleet selects this host by, e.g. rack=r1,zone=a')
    .action(async (opts: ServeOptions) => {
      // Loaded here: the daemon, fastify and the drivers are for `serve` only, and every
      // other command (and each shell completion) starts faster without them.
      const { serve } = await import('../serve.js');
      await serve(opts);
    });
}
