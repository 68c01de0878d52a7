/**
 * `nicvisor fleet plan|apply|status`: the fleet's desired state in etcd. These commands talk
 * to the fleet store directly — it is the fleet's API, shared by every agent — never to one
 * host's daemon.
 */
import type { Command } from 'commander';
import type { FleetBackend } from '../../daemon/fleet/backend.js';
import type { ApplyOptions } from '../../daemon/fleet/rollout.js';
import type { FleetAgentView, FleetView, Rollout } from '../../model/fleet.js';
import type { HostPlan } from '../../policy/fleet-plan.js';
import { type ConnectOptions, withClient, withConnection } from '../connect.js';

interface StoreOpts {
  fleet?: string;
  fleetCa?: string;
  fleetCert?: string;
  fleetKey?: string;
  json?: boolean;
}

function withStore(c: Command): Command {
  return c
    .option(
      '--fleet <url>',
      'fleet store, etcd://HOST:PORT,...[/PREFIX] (default: $NICVISOR_FLEET)',
    )
    .option('--fleet-ca <file>', 'CA certificate (PEM)')
    .option('--fleet-cert <file>', 'client certificate (PEM)')
    .option('--fleet-key <file>', 'client key (PEM)')
    .option('--json', 'print JSON');
}

/** The fleet modules, loaded when a fleet command runs (the etcd client is gRPC: heavy). */
async function fleetModules() {
  const [index, docs, rollout, view, logger, plan] = await Promise.all([
    import('../../daemon/fleet/index.js'),
    import('../../daemon/fleet/docs.js'),
    import('../../daemon/fleet/rollout.js'),
    import('../../daemon/fleet/view.js'),
    import('../../daemon/logger.js'),
    import('../../policy/fleet-plan.js'),
  ]);
  return { ...index, ...docs, ...rollout, ...view, ...logger, ...plan };
}

async function open<T>(o: StoreOpts, fn: (b: FleetBackend) => Promise<T>): Promise<T> {
  const url = o.fleet ?? process.env.NICVISOR_FLEET;
  if (!url) throw new Error('no fleet store: pass --fleet etcd://HOST:PORT or set NICVISOR_FLEET');
  const { fleetBackend, silentLogger } = await fleetModules();
  const b = fleetBackend(
    url,
    { ca: o.fleetCa, cert: o.fleetCert, key: o.fleetKey },
    silentLogger(),
  );
  try {
    return await fn(b);
  } catch (err) {
    // A failed store call (the etcd client's GRPC…/Etcd… errors) says what to fix; a
    // rollout's own refusal reads as it is.
    if (/^(GRPC|Etcd)/.test((err as Error)?.constructor?.name ?? ''))
      throw new Error(b.describeError(err));
    throw err;
  } finally {
    await b.close();
  }
}

export function formatPlan(plan: HostPlan[]): string {
  const lines: string[] = [];
  for (const h of plan) {
    if (h.changes.length === 0) continue;
    lines.push(`${h.host}: ${h.class}, ${h.vfCount} VF(s)`);
    for (const c of h.changes)
      lines.push(
        `  ${c.action.padEnd(6)} ${c.doc.padEnd(24)} ${c.class.padEnd(16)} ${c.fields.join(', ')}`,
      );
  }
  const n = plan.filter((h) => h.changes.length > 0).length;
  lines.push(`${n} of ${plan.length} host(s) change`);
  return `${lines.join('\n')}\n`;
}

function formatRollout(r: Rollout | null): string {
  if (!r) return 'rollout: none\n';
  const fail = r.failure ? ` — paused on ${r.failure.host}: ${r.failure.error}` : '';
  const waits = r.waitingFor.map((owner) => {
    const on = r.consent.filter((n) => n.owner === owner);
    return `${owner} (${on.map((n) => `${n.host}: ${n.vfs.join(', ')}`).join('; ')})`;
  });
  const wait =
    waits.length > 0
      ? `\n  waiting for the consent of ${waits.join(', ')}: \`nicvisor fleet consent ${r.id} --owner OWNER\`, or --resume --force`
      : '';
  return `rollout ${r.id}: ${r.state}, ${r.done.length}/${r.hosts.length} host(s) done, canary ${r.canary ?? '-'}, maxUnavailable ${r.maxUnavailable} VF(s)${fail}${wait}\n`;
}

export function formatFleet(v: FleetView): string {
  const lines = [`fleet revision ${v.revision}, ${v.hosts.length} host(s)`];
  for (const h of v.hosts) {
    const s = h.status;
    const vfs = s ? Object.keys(s.vfs).length : 0;
    const refused =
      s && s.refused.length > 0 ? ` refused: ${s.refused.map((r) => r.doc).join(', ')}` : '';
    lines.push(
      `  ${h.host.padEnd(16)} ${(h.online ? 'online' : 'OFFLINE').padEnd(8)} ${(s?.syncState ?? '-').padEnd(9)} rev ${String(s?.revision ?? '-').padEnd(6)} ${vfs} VF(s)${refused}`,
    );
  }
  return `${lines.join('\n')}\n${formatRollout(v.rollout)}`;
}

export function register(program: Command): void {
  const fleet = program
    .command('fleet')
    .description('the fleet: desired state in etcd for many hosts');

  withStore(fleet.command('plan'))
    .description('per host, what the documents in DIR change and how disruptive it is')
    .requiredOption('-f, --file <dir>', 'directory of fleet documents (*.json)')
    .option('--prune', 'documents not in DIR are deleted')
    .action(async (o: StoreOpts & { file: string; prune?: boolean }) => {
      const { readDocsDir, parseSnapshot, planFleet } = await fleetModules();
      const next = await readDocsDir(o.file);
      const plan = await open(o, async (b) => {
        const current = parseSnapshot(await b.snapshot()).docs;
        const keys = new Set(next.map((d) => `${d.kind}/${d.name}`));
        const kept = o.prune ? [] : current.filter((d) => !keys.has(`${d.kind}/${d.name}`));
        return planFleet(await b.hosts(), await b.statuses(), current, [...next, ...kept]);
      });
      process.stdout.write(o.json ? `${JSON.stringify(plan, null, 2)}\n` : formatPlan(plan));
    });

  withStore(fleet.command('apply'))
    .description('roll the documents in DIR out: canary host first, then batches, pause on failure')
    .option('-f, --file <dir>', 'directory of fleet documents (*.json)')
    .option('--canary <host>', 'the host that goes first, alone (default: the first affected)')
    .option('--max-unavailable <vfs>', 'VFs changing at once across the fleet', '8')
    .option(
      '--force',
      'apply changes visible to VF owners without their consent (with --resume: stop waiting for it)',
    )
    .option('--prune', 'delete documents not in DIR')
    .option('--resume', 'continue the rollout in the record (after a crash or a pause)')
    .option('--abort', 'undo the rollout in progress: every host back to the previous versions')
    .option('--host-timeout <ms>', 'pause when a batch is not in sync after this long', '60000')
    .action(
      async (
        o: StoreOpts & {
          file?: string;
          canary?: string;
          maxUnavailable: string;
          force?: boolean;
          prune?: boolean;
          resume?: boolean;
          abort?: boolean;
          hostTimeout: string;
        },
      ) => {
        const max = Number(o.maxUnavailable);
        if (!Number.isInteger(max) || max < 1)
          throw new Error(`--max-unavailable ${o.maxUnavailable}: not a whole number ≥ 1 of VFs`);
        if (!o.resume && !o.abort && !o.file) throw new Error('give -f DIR (or --resume, --abort)');
        const opts: ApplyOptions = {
          canary: o.canary,
          maxUnavailable: max,
          force: o.force,
          prune: o.prune,
          hostTimeoutMs: Number(o.hostTimeout),
          onStep: o.json ? undefined : (r) => process.stderr.write(formatRollout(r)),
        };
        const { readDocsDir, abortRollout, resumeRollout, startRollout } = await fleetModules();
        const docs = o.file ? await readDocsDir(o.file) : [];
        const r = await open(o, async (b) => {
          if (o.abort) return abortRollout(b);
          return o.resume ? resumeRollout(b, opts) : (await startRollout(b, docs, opts)).rollout;
        });
        process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : formatRollout(r));
        if (r?.state === 'paused') process.exitCode = 1;
      },
    );

  withStore(fleet.command('consent'))
    .description('an owner agrees to the rollout changing its VFs (MAC, VLANs) visibly')
    .argument('<rollout>', 'the rollout id (`nicvisor fleet status`)')
    .requiredOption('--owner <owner>', 'the owner: KIND:ID of a claim, or guest:HOST/VF')
    .option('--by <who>', 'who consents (recorded)', process.env.USER ?? 'cli')
    .action(async (rollout: string, o: StoreOpts & { owner: string; by: string }) => {
      const { giveConsent } = await fleetModules();
      const r = await open(o, (b) => giveConsent(b, rollout, o.owner, o.by));
      process.stdout.write(
        o.json
          ? `${JSON.stringify(r, null, 2)}\n`
          : `consent of ${o.owner} recorded for rollout ${rollout} (host(s) ${r.hosts.join(', ')})\n`,
      );
    });

  withConnection(
    fleet
      .command('agent')
      .description(
        'this host’s fleet agent, through its daemon: connection, revision, lag, refusals',
      )
      .option('--json', 'print JSON'),
  ).action(async (o: ConnectOptions & { json?: boolean }) => {
    await withClient(o, async (c) => {
      const v = await c.request<FleetAgentView>('GET', '/v1/fleet/agent');
      if (o.json) return void process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
      const lag = v.watchLagMs === null ? '-' : `${v.watchLagMs} ms`;
      process.stdout.write(
        `${v.host}: ${v.connected ? 'connected' : 'NOT connected'} to ${v.backend}, revision ${v.revision}, lag ${lag}, last sync ${v.lastSyncAt ?? 'never'}, ${v.resyncs} resync(s), ${v.changes} change(s)\n`,
      );
      for (const r of v.refused)
        for (const p of r.problems) process.stdout.write(`  refused ${r.doc}: ${p.message}\n`);
    });
  });

  withStore(fleet.command('status'))
    .description('hosts, their health and sync state, and the rollout in progress')
    .action(async (o: StoreOpts) => {
      const { fleetView } = await fleetModules();
      const v = await open(o, fleetView);
      process.stdout.write(o.json ? `${JSON.stringify(v, null, 2)}\n` : formatFleet(v));
      const done = v.rollout === null || v.rollout.state === 'done';
      if (!done || v.hosts.some((h) => h.status?.syncState !== 'in-sync')) process.exitCode = 3;
    });
}
