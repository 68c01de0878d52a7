/** Text the help, the man page and the completions share: examples and environment. */
import { EXIT_CODES_HELP } from './output.js';

export const EXAMPLES = [
  ['nicvisor serve --config /etc/nicvisor/nicvisor.json', 'run the daemon'],
  ['nicvisor show vfs', 'the VF table with counters'],
  ['nicvisor show web-1 --json', 'one VF as JSON'],
  ['nicvisor show vfs --watch | head -40', 'refresh every second (plain text to a pipe)'],
  ['nicvisor apply -f /var/lib/nicvisor/vfs', 'add or update VF policies as one change'],
  ['nicvisor request web-1 addVlan 200', 'a guest request: ack, or nack with exit 3'],
  ['nicvisor mirror web-1 in --to tap', "copy web-1's received frames to tap"],
  ['nicvisor events --follow --types audit', 'the audit and event stream'],
  ['nicvisor validate /etc/nicvisor/nicvisor.json /var/lib/nicvisor/vfs', 'offline check'],
  ['nicvisor --url http://127.0.0.1:7710 --token T ping', 'the TCP listener'],
] as const;

export const ENVIRONMENT = [
  ['NICVISOR_SOCKET', 'daemon API socket when --socket is not given'],
  ['NICVISOR_TOKEN', 'bearer token for --url when --token is not given'],
] as const;

export function helpFooter(): string {
  const col = (rows: readonly (readonly [string, string])[], w: number) =>
    rows.map(([a, b]) => `  ${a.padEnd(w)}  ${b}`).join('\n');
  return [
    '',
    'Examples:',
    EXAMPLES.map(([cmd, what]) => `  $ ${cmd}\n      ${what}`).join('\n'),
    '',
    'Exit codes:',
    col(EXIT_CODES_HELP, 3),
    '',
    'Environment:',
    col(ENVIRONMENT, 15),
    '',
    'Without --socket or --url the CLI tries $NICVISOR_SOCKET, /run/nicvisor/nicvisor.sock,',
    'then the demo socket under ./.nicvisor/. `nicvisor COMMAND --help` explains one command.',
  ].join('\n');
}
