/**
 * `nicvisor migrate prepare|commit|abort CLAIM`: hand a claim over to another host. The CLI
 * drives both daemons: the source is the usual connection (--socket / --url, or
 * --source-socket / --source-url), the target --target-socket or --target-url.
 */
import type { Command } from 'commander';
import { ApiClient } from '../client.js';
import { type ConnectOptions, clientFrom } from '../connect.js';
import { abort, commit, type Hosts, prepare } from '../migrate.js';

interface HostOptions extends ConnectOptions {
  sourceSocket?: string;
  sourceUrl?: string;
  sourceToken?: string;
  targetSocket?: string;
  targetUrl?: string;
  targetToken?: string;
  token?: string;
  migration?: string;
}

const out = (s: string) => process.stdout.write(`${s}\n`);

function hosts(o: HostOptions): Hosts {
  if (!o.targetSocket && !o.targetUrl)
    throw new Error(
      'the target host is missing: pass --target-socket PATH or --target-url URL (the daemon the claim moves to)',
    );
  const source =
    o.sourceSocket || o.sourceUrl
      ? new ApiClient({
          ...(o.sourceUrl ? { url: o.sourceUrl } : { socket: o.sourceSocket }),
          token: o.sourceToken ?? process.env.NICVISOR_TOKEN,
        })
      : clientFrom(o);
  const target = new ApiClient({
    ...(o.targetUrl ? { url: o.targetUrl } : { socket: o.targetSocket }),
    token: o.targetToken ?? process.env.NICVISOR_TARGET_TOKEN,
  });
  return { source, target };
}

async function withHosts<T>(o: HostOptions, fn: (h: Hosts) => Promise<T>): Promise<T> {
  const h = hosts(o);
  try {
    return await fn(h);
  } finally {
    h.source.close();
    h.target.close();
  }
}

function hostOptions(cmd: Command): Command {
  return cmd
    .option('--source-socket <path>', 'source daemon socket (default: --socket)')
    .option('--source-url <url>', 'source daemon over TCP (default: --url)')
    .option('--source-token <token>', 'bearer token of --source-url')
    .option('--target-socket <path>', 'target daemon socket')
    .option('--target-url <url>', 'target daemon over TCP')
    .option(
      '--target-token <token>',
      'bearer token of --target-url (default: $NICVISOR_TARGET_TOKEN)',
    )
    .option('--json', 'JSON output');
}

function seconds(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 5 || Number(v) > 86400)
    throw new Error(`--ttl ${JSON.stringify(v)} is not valid: use 5-86400 seconds`);
  return Number(v);
}

export function register(program: Command): void {
  const m = program
    .command('migrate')
    .description(
      'hand a claim over to another host: prepare (reserve there), commit (release here, activate there), abort',
    );
  hostOptions(
    m
      .command('prepare')
      .argument('<claim>', 'claim id on the source (POOL-N)')
      .description(
        'mark the claim migrating on the source and reserve a VF with its MAC and profile on the target',
      )
      .option('--target-pool <pool>', 'pool on the target (default: the same name)')
      .option('--ttl <seconds>', 'the hand-off expires after this long (default 300)', seconds)
      .option('--migration <token>', 'use this migration token (default: a random one)'),
  ).action(async (claim: string, o: HostOptions & { targetPool?: string; ttl?: number }) => {
    await withHosts(o, async (h) => {
      const r = await prepare(h, claim, {
        ...(o.migration ? { token: o.migration } : {}),
        ...(o.targetPool ? { targetPool: o.targetPool } : {}),
        ...(o.ttl ? { ttlSeconds: o.ttl } : {}),
      });
      if (o.json) return out(JSON.stringify(r, null, 2));
      const c = r.reservation.claim;
      out(
        `migration ${r.token}: claim ${claim} migrating on the source; reserved ${c.id} on the target: ${c.pf} vf ${c.vf} mac ${c.mac} until ${c.migration?.expires}`,
      );
      for (const w of r.reservation.why) out(`  - ${w}`);
      out(`next: nicvisor migrate commit ${claim} (or abort) with the same --source/--target`);
    });
  });
  hostOptions(
    m
      .command('commit')
      .argument('<claim>', 'claim id on the source (POOL-N)')
      .description('release the claim on the source, then activate the reservation on the target')
      .option(
        '--migration <token>',
        'the migration token (needed once the source claim is gone: finishing a half-done commit)',
      ),
  ).action(async (claim: string, o: HostOptions) => {
    await withHosts(o, async (h) => {
      const r = await commit(h, claim, o.migration);
      if (o.json) return out(JSON.stringify(r, null, 2));
      const s = r.source;
      out(
        s.alreadyReleased
          ? `source: claim ${claim} was released already`
          : `source: claim ${claim} released${s.verified ? ', VF restored and verified' : `, VF differs after restore: ${s.differences.join('; ')}`}`,
      );
      const c = r.target.claim;
      out(
        `target: claim ${c.id} active${r.target.existing ? ' (committed already)' : ''}: ${c.pf} vf ${c.vf} mac ${c.mac} [${r.target.syncState}]`,
      );
      if (!s.verified) process.exitCode = 1;
    });
  });
  hostOptions(
    m
      .command('abort')
      .argument('<claim>', 'claim id on the source (POOL-N)')
      .description('drop the reservation on the target and turn the claim back to active')
      .option('--migration <token>', 'the migration token (default: the source claim’s)'),
  ).action(async (claim: string, o: HostOptions) => {
    await withHosts(o, async (h) => {
      const r = await abort(h, claim, o.migration);
      if (o.json) return out(JSON.stringify(r, null, 2));
      out(
        r.target.released
          ? `target: reservation ${r.target.released.released} dropped`
          : 'target: no reservation (none made, or dropped already)',
      );
      out(`source: claim ${r.source.id} ${r.source.state}`);
    });
  });
}
