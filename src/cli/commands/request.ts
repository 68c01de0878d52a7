import { Argument, type Command } from 'commander';
import type { GuestRequest } from '../../model/index.js';
import { GUEST_REQUEST_TYPES } from '../../model/plain.js';
import { type ConnectOptions, withClient } from '../connect.js';
import { CliError, EXIT, emit } from '../output.js';

function int(v: string | undefined, what: string): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n))
    throw new Error(`${what} needs a whole number, got ${JSON.stringify(v)}`);
  return n;
}

function onOff(v: string | undefined, what: string): boolean {
  if (v === 'on' || v === 'true') return true;
  if (v === 'off' || v === 'false') return false;
  throw new Error(`${what} needs on or off, got ${JSON.stringify(v)}`);
}

/** `setMac 02:…`, `addVlan 100`, `setPromisc on`, `delMac` … → a GuestRequest. */
export function parseRequest(type: string, arg: string | undefined): GuestRequest {
  switch (type) {
    case 'setMac':
    case 'addMac':
      if (!arg) throw new Error(`${type} needs a MAC address, e.g. 02:00:00:00:00:01`);
      return { type, mac: arg };
    case 'delMac':
      return arg ? { type, mac: arg } : { type };
    case 'addVlan':
    case 'delVlan':
      return { type, vlan: int(arg, type) };
    case 'setMtu':
      return { type, mtu: int(arg, type) };
    case 'setPromisc':
    case 'setAllmulti':
      return { type, enable: onOff(arg, type) };
    case 'setMulticastList':
      // The whole list, comma-separated (none: leave every group).
      return { type, groups: arg ? arg.split(',').filter((g) => g !== '') : [] };
    case 'reset':
      return { type };
    default:
      throw new Error(`unknown request "${type}": one of ${GUEST_REQUEST_TYPES.join(', ')}`);
  }
}

export function register(program: Command): void {
  program
    .command('request')
    .argument('<vf>', 'VF name')
    .addArgument(new Argument('<type>', 'the request').choices(GUEST_REQUEST_TYPES))
    .argument('[arg]', 'MAC, VLAN, MTU, on/off, or group MACs separated by commas')
    .description('send a guest request (what a guest agent sends); exit 3 on nack')
    .addHelpText(
      'after',
      '\nExamples:\n  $ nicvisor request web-1 setMac 02:00:00:00:00:99\n  $ nicvisor request web-1 addVlan 200\n  $ nicvisor request web-1 setPromisc on',
    )
    .action(async (vf: string, type: string, arg: string | undefined, opts: ConnectOptions) => {
      let req: GuestRequest;
      try {
        req = parseRequest(type, arg);
      } catch (err) {
        throw new CliError((err as Error).message, EXIT.usage);
      }
      await withClient(opts, async (c) => {
        const d = await c.guestRequest(vf, req);
        if (d.result === 'ack') emit(opts, d, () => `ack: ${d.reason}`);
        else {
          if (opts.json) emit(opts, d, () => '');
          else process.stderr.write(`nack: ${d.reason}\n`);
          process.exitCode = EXIT.nack;
        }
      });
    });
}
