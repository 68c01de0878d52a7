/**
 * `nicvisor pool list|show`, `claim`, `release`, `libvirt-xml`: hand VFs of a pool to VMs,
 * pods and processes (issue 12).
 */
import type { Command } from 'commander';
import type { ClaimBodyInput, ClaimResult, PoolView } from '../../model/index.js';
import { judgePort, parsePort, poolOfNetwork } from '../../policy/pools/libvirt-hook.js';
import { type ConnectOptions, withClient, withConnection } from '../connect.js';
import { table } from '../format.js';
import { poolApi } from '../pool-client.js';

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const json = (v: unknown) => out(JSON.stringify(v, null, 2));

function poolTable(pools: PoolView[]): string {
  return table(
    ['POOL', 'NETWORK', 'TYPE', 'PLACEMENT', 'CAPACITY', 'CLAIMED', 'FREE', 'MIGRATABLE'],
    pools.map((p) => [
      p.name,
      p.physicalNetwork,
      p.deviceType,
      p.placement,
      String(p.capacity),
      String(p.claimed),
      String(p.free),
      p.migratable ? 'yes' : 'no',
    ]),
  );
}

function poolDetail(p: PoolView): string {
  const claims = new Map(p.claims.map((c) => [c.id, c]));
  const members = table(
    ['PF', 'VF', 'NUMA', 'CLAIM', 'OWNER', 'MAC', 'SINCE'],
    p.members.map((m) => {
      const c = m.claim ? claims.get(m.claim) : undefined;
      return [
        m.pf,
        String(m.vf),
        m.numaNode === undefined ? '-' : String(m.numaNode),
        m.claim ?? '-',
        m.owner ?? 'free',
        c?.mac ?? '-',
        c?.since ?? '-',
      ];
    }),
  );
  return `${poolTable([p])}\n\n${members}`;
}

/** `KIND:ID` → the owner object, or an error naming the allowed kinds. */
export function parseOwner(s: string): ClaimBodyInput['owner'] {
  const m = /^(vm|pod|process):(.+)$/.exec(s);
  if (!m)
    throw new Error(
      `--owner ${JSON.stringify(s)} is not valid: use KIND:ID, KIND one of vm, pod, process (e.g. vm:guest1)`,
    );
  return { kind: m[1] as 'vm' | 'pod' | 'process', id: m[2]! };
}

function int(name: string) {
  return (v: string) => {
    if (!/^\d+$/.test(v))
      throw new Error(`${name} ${JSON.stringify(v)} is not a non-negative integer`);
    return Number(v);
  };
}

function claimText(r: ClaimResult): string {
  const c = r.claim;
  return [
    `claim ${c.id}${r.existing ? ' (already held)' : ''}: ${c.pf} vf ${c.vf}${c.pciAddr ? ` (${c.pciAddr})` : ''} mac ${c.mac} fence ${c.fence} [${r.syncState}]`,
    ...r.why.map((w) => `  - ${w}`),
  ].join('\n');
}

export function register(program: Command): void {
  const pool = program.command('pool').description('VF pools: capacity, claims and owners');
  withConnection(
    pool.command('list').description('list the pools').option('--json', 'JSON output'),
  ).action(async (opts: ConnectOptions & { json?: boolean }) => {
    await withClient(opts, async (c) => {
      const pools = await poolApi(c).pools();
      opts.json ? json(pools) : out(poolTable(pools));
    });
  });
  withConnection(
    pool
      .command('show')
      .argument('<pool>', 'pool name')
      .description('one pool: its VFs, claims and owners')
      .option('--json', 'JSON output'),
  ).action(async (name: string, opts: ConnectOptions & { json?: boolean }) => {
    await withClient(opts, async (c) => {
      const p = await poolApi(c).pool(name);
      opts.json ? json(p) : out(poolDetail(p));
    });
  });

  withConnection(
    program
      .command('claim')
      .argument('<pool>', 'pool name')
      .description('give a VF of the pool to an owner; answers the claim id, PF, VF and MAC')
      .requiredOption('--owner <kind:id>', 'owner: vm:DOMAIN, pod:CONTAINER_ID or process:PID')
      .option('--ifname <name>', 'interface name inside the owner')
      .option('--netns <path>', 'network namespace of a pod (reclaimed when it is gone)')
      .option(
        '--group <name>',
        'anti-affinity group: claims of one owner and group get different PFs',
      )
      .option('--numa <node>', 'preferred NUMA node', int('--numa'))
      .option('--numa-strict', 'refuse rather than take a VF of another NUMA node')
      .option(
        '--lease <seconds>',
        'reclaimed unless renewed within this many seconds',
        int('--lease'),
      )
      .option('--mac <mac>', 'ask for this MAC')
      .option('--json', 'JSON output'),
  ).action(
    async (
      name: string,
      o: ConnectOptions & {
        owner: string;
        ifname?: string;
        netns?: string;
        group?: string;
        numa?: number;
        numaStrict?: boolean;
        lease?: number;
        mac?: string;
        json?: boolean;
      },
    ) => {
      const body: ClaimBodyInput = {
        owner: parseOwner(o.owner),
        ...(o.ifname ? { ifname: o.ifname } : {}),
        ...(o.netns ? { netns: o.netns } : {}),
        ...(o.group ? { group: o.group } : {}),
        ...(o.numa !== undefined ? { numaNode: o.numa } : {}),
        ...(o.numaStrict ? { numaStrict: true } : {}),
        ...(o.lease !== undefined ? { leaseSeconds: o.lease } : {}),
        ...(o.mac ? { mac: o.mac } : {}),
      };
      await withClient(o, async (c) => {
        const r = await poolApi(c).claim(name, body);
        o.json ? json(r) : out(claimText(r));
      });
    },
  );

  withConnection(
    program
      .command('release')
      .argument('<claim>', 'claim id (POOL-N)')
      .description('give the VF of a claim back (restored and verified)')
      .option('--fence <n>', 'refuse unless this is the claim’s fence token', int('--fence'))
      .option('--json', 'JSON output'),
  ).action(async (id: string, o: ConnectOptions & { fence?: number; json?: boolean }) => {
    await withClient(o, async (c) => {
      const r = await poolApi(c).release(id, o.fence);
      if (o.json) return json(r);
      out(
        r.verified
          ? `released ${r.released}: VF restored and verified`
          : `released ${r.released}: VF differs after restore: ${r.differences.join('; ')}`,
      );
      if (!r.verified) process.exitCode = 1;
    });
  });

  withConnection(
    program
      .command('libvirt-xml')
      .argument('<claim>', 'claim id (POOL-N)')
      .description("the claim's <interface type='hostdev'> element for a libvirt domain")
      .option(
        '--peer <alias>',
        'alias (ua-NAME) of the virtio interface a migratable VF fails over to',
      )
      .option(
        '--network',
        'print the pool’s <network> (forward mode hostdev) instead; CLAIM is then a pool',
      ),
  ).action(async (id: string, o: ConnectOptions & { peer?: string; network?: boolean }) => {
    await withClient(o, async (c) => {
      const api = poolApi(c);
      out((o.network ? await api.networkXml(id) : await api.interfaceXml(id, o.peer)).xml);
    });
  });

  withConnection(
    program
      .command('libvirt-hook')
      .argument('<network>', 'network name (libvirt passes it)')
      .argument('<op>', 'operation: port-created, port-deleted, …')
      .argument('[subop]', 'sub-operation (begin, end, -)')
      .argument('[extra]', 'extra argument (-)')
      .description(
        "libvirt network hook (/etc/libvirt/hooks/network): vetoes a port of a pool's network that the claims ledger does not agree with; releases the claim on port-deleted",
      ),
  ).action(
    async (network: string, op: string, _subop: string, _extra: string, o: ConnectOptions) => {
      const pool = poolOfNetwork(network);
      if (!pool || (op !== 'port-created' && op !== 'port-deleted')) return;
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      const port = parsePort(network, Buffer.concat(chunks).toString('utf8'));
      await withClient(o, async (c) => {
        const api = poolApi(c);
        const answer = judgePort(op, port, (await api.pool(pool)).claims);
        if (!answer.allow) throw new Error(answer.reason);
        if (answer.release) await api.release(answer.release);
        process.stderr.write(`${answer.reason}\n`);
      });
    },
  );
}
