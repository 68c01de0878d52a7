import type { TcResult, TcRunner } from '../../../../src/drivers/linux/eswitch/tc-run.js';

/**
 * A `tc` that keeps filters the way the kernel does for what the ledger relies on: one
 * protocol per (dev, chain, prio), `replace` creates or overwrites by handle, `del` of a
 * missing handle fails, a port needs clsact first, `-force` goes on after a failure and
 * each failure ends in `Command failed -:N`. `refuse` makes it refuse lines as a NIC would.
 */
export interface FakeFilter {
  dev: string;
  chain: number;
  prio: number;
  handle: number;
  protocol: string;
  text: string;
  cookie: string | null;
  packets: number;
}

export class FakeTc {
  readonly filters = new Map<string, FakeFilter>();
  readonly clsact = new Set<string>();
  readonly devs = new Set<string>();
  /** Every batch it ran: args and the lines. */
  readonly runs: { args: string[]; lines: string[] }[] = [];
  refuse: (line: string) => string | null = () => null;

  constructor(devs: string[]) {
    for (const d of devs) this.devs.add(d);
  }

  /** `ip link set OLD name NEW`: the filters and clsact stay on the netdev. */
  rename(from: string, to: string): void {
    this.devs.delete(from);
    this.devs.add(to);
    if (this.clsact.delete(from)) this.clsact.add(to);
    for (const [k, f] of [...this.filters]) {
      if (f.dev !== from) continue;
      this.filters.delete(k);
      this.filters.set(`${to}/${f.chain}/${f.prio}/${f.handle}`, { ...f, dev: to });
    }
  }

  /** The netdev is unregistered (VF deleted, netns move): its filters and clsact go with it. */
  unregister(dev: string): void {
    this.devs.delete(dev);
    this.clsact.delete(dev);
    for (const [k, f] of [...this.filters]) if (f.dev === dev) this.filters.delete(k);
  }

  readonly run: TcRunner = async (args, input) => {
    const lines = input.split('\n').filter((l) => l.trim() !== '');
    this.runs.push({ args, lines });
    const out: string[] = [];
    const err: string[] = [];
    lines.forEach((line, i) => {
      const e = this.refuse(line) ?? this.exec(line, out);
      if (e)
        err.push(
          `Error: ${e}.`,
          'We have an error talking to the kernel',
          `Command failed -:${i + 1}`,
        );
    });
    const r: TcResult = {
      code: err.length ? 1 : 0,
      stdout: out.join('\n'),
      stderr: err.join('\n'),
    };
    return r;
  };

  private exec(line: string, out: string[]): string | null {
    const w = line.split(' ');
    const at = (word: string) => w[w.indexOf(word) + 1];
    const dev = at('dev');
    if (!this.devs.has(dev)) return `Cannot find device "${dev}"`;
    if (w[0] === 'qdisc') {
      if (this.clsact.has(dev)) return 'Exclusivity flag on, cannot modify';
      this.clsact.add(dev);
      return null;
    }
    if (w[1] === 'show') {
      out.push(JSON.stringify(this.show(dev)));
      return null;
    }
    if (!this.clsact.has(dev)) return "Parent Qdisc doesn't exists";
    const chain = Number(at('chain'));
    const prio = Number(at('prio'));
    const handle = Number(at('handle'));
    const protocol = at('protocol');
    const k = `${dev}/${chain}/${prio}/${handle}`;
    if (w[1] === 'del') {
      if (!this.filters.delete(k)) return 'Specified filter handle not found';
      return null;
    }
    const other = [...this.filters.values()].find(
      (f) => f.dev === dev && f.chain === chain && f.prio === prio,
    );
    if (other && other.protocol !== protocol)
      return 'Filter with specified priority/protocol not found';
    const c = w.indexOf('cookie');
    this.filters.set(k, {
      dev,
      chain,
      prio,
      handle,
      protocol,
      text: line,
      cookie: c >= 0 ? w[c + 1] : null,
      packets: this.filters.get(k)?.packets ?? 0,
    });
    return null;
  }

  /** As `tc -s -j filter show` prints it: a header row per prio, then the filters. */
  private show(dev: string): unknown[] {
    const rows: unknown[] = [];
    for (const f of this.filters.values()) {
      if (f.dev !== dev) continue;
      rows.push({ protocol: f.protocol, pref: f.prio, kind: 'flower', chain: f.chain });
      rows.push({
        protocol: f.protocol,
        pref: f.prio,
        kind: 'flower',
        chain: f.chain,
        options: {
          handle: f.handle,
          keys: {},
          not_in_hw: true,
          actions: [
            {
              order: 1,
              kind: 'gact',
              stats: { bytes: f.packets * 64, packets: f.packets, drops: 0 },
              ...(f.cookie ? { cookie: f.cookie } : {}),
            },
          ],
        },
      });
    }
    return rows;
  }
}
