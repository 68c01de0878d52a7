/**
 * The agent against an etcd that wants TLS client certificates (`--client-cert-auth`): a CA,
 * a server and client certificates made with `openssl` in a temp dir. The agent with the
 * right certificate registers and syncs; a certificate of another CA, or none, is refused,
 * and the refusal says so — in the agent's view, the API and the CLI — naming the fix.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EtcdFleet } from '../../../src/daemon/fleet/etcd.js';
import { fleetAgent } from '../../../src/daemon/fleet/index.js';
import { parseFleetUrl } from '../../../src/daemon/fleet/url.js';
import { silentLogger } from '../../../src/daemon/logger.js';
import { nicvisor } from '../../cli/run.js';
import { EtcdCluster, etcdMissing } from './etcd-cluster.js';
import { type Host, PF, startHost, stopFleet, tempRoot, until } from './fleet-harness.js';

const OPENSSL = '/usr/bin/openssl';

function openssl(dir: string, ...args: string[]): void {
  const r = spawnSync(OPENSSL, args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A CA, its server certificate for 127.0.0.1, a client certificate, and a rogue CA's client. */
async function makeCerts(dir: string): Promise<void> {
  const ca = (name: string, cn: string) =>
    openssl(
      dir,
      'req',
      '-x509',
      ...EC,
      '-keyout',
      `${name}.key`,
      '-subj',
      `/CN=${cn}`,
      '-days',
      '2',
      '-out',
      `${name}.crt`,
    );
  const leaf = async (name: string, cn: string, issuer: string, ext: string) => {
    openssl(
      dir,
      'req',
      '-new',
      ...EC,
      '-keyout',
      `${name}.key`,
      '-subj',
      `/CN=${cn}`,
      '-out',
      `${name}.csr`,
    );
    await writeFile(join(dir, `${name}.ext`), ext);
    openssl(
      dir,
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${issuer}.crt`,
      '-CAkey',
      `${issuer}.key`,
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    );
  };
  ca('ca', 'nicvisor test CA');
  ca('rogue', 'some other CA');
  await leaf(
    'server',
    '127.0.0.1',
    'ca',
    'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  );
  await leaf('client', 'agent', 'ca', 'extendedKeyUsage=clientAuth\n');
  await leaf('intruder', 'intruder', 'rogue', 'extendedKeyUsage=clientAuth\n');
}

const skip =
  etcdMissing() ?? (spawnSync(OPENSSL, ['version']).status === 0 ? null : `${OPENSSL} not found`);

describe('fleet agents on a TLS etcd with client certificates', {
  skip: skip ?? false,
  timeout: 120_000,
}, () => {
  let tmp: Awaited<ReturnType<typeof tempRoot>>;
  let cluster: EtcdCluster;
  let certs: string;
  const f = (n: string) => join(certs, n);
  const hosts: Host[] = [];

  before(async () => {
    tmp = await tempRoot();
    certs = tmp.root;
    await makeCerts(certs);
    cluster = new EtcdCluster({
      tls: { ca: f('ca.crt'), cert: f('server.crt'), key: f('server.key') },
      client: { cert: f('client.crt'), key: f('client.key') },
    });
    await cluster.start(1);
  });

  after(() => stopFleet({ hosts, cluster, tmp }));

  test('with a certificate of the trusted CA the agent registers and syncs', async () => {
    const good = { ca: f('ca.crt'), cert: f('client.crt'), key: f('client.key') };
    const h = await startHost(tmp.root, { name: 'tls0', labels: {}, url: cluster.url() });
    hosts.push(h);
    // startHost gives no TLS files: run this host's agent again with them.
    await h.agent.stop();
    h.agent = fleetAgent(
      h.daemon,
      { url: cluster.url(), tls: good, host: 'tls0', retryMs: 200 },
      silentLogger(),
    );
    await h.agent.start();
    const fleet = new EtcdFleet(parseFleetUrl(cluster.url(), good), silentLogger());
    try {
      await until(
        async () => (await fleet.hosts()).some((r) => r.host === 'tls0'),
        30_000,
        'registration over TLS',
      );
      const { revision } = await fleet.writeDocs({
        put: [
          {
            kind: 'vf',
            name: 'sec',
            selector: { matchLabels: {} },
            policy: { name: 'sec', pf: PF, vf: 1, vlans: [7] },
          },
        ],
        delete: [],
      });
      await until(
        async () =>
          ((await fleet.statuses()).find((s) => s.host === 'tls0')?.revision ?? 0) >= revision,
        30_000,
        'tls0 in sync',
      );
      assert.deepEqual(h.daemon.getVf('sec').policy.vlans, [7]);
      assert.equal(h.agent.view().connected, true);
      assert.equal(h.agent.view().lastError, null);
    } finally {
      await fleet.close();
    }
  });

  test('a certificate of another CA, or none, is refused and the answer says what to fix', async () => {
    const bad = { ca: f('ca.crt'), cert: f('intruder.crt'), key: f('intruder.key') };
    // The backend's own answer first.
    const b = new EtcdFleet(parseFleetUrl(cluster.url(), bad), silentLogger(), bad);
    try {
      const err = await b.snapshot().then(
        () => assert.fail('a rogue certificate was accepted'),
        (e: unknown) => e,
      );
      const msg = b.describeError(err);
      assert.match(msg, /refused this client's TLS certificate \(--fleet-cert .*intruder\.crt\)/);
      assert.match(msg, /--trusted-ca-file/);
    } finally {
      await b.close();
    }
    // The agent keeps running its last state, and its view says why it is not connected.
    const h2 = await startHost(tmp.root, { name: 'tls1', labels: {}, url: cluster.url() });
    hosts.push(h2);
    await h2.agent.stop();
    h2.agent = fleetAgent(
      h2.daemon,
      { url: cluster.url(), tls: bad, host: 'tls1', retryMs: 200 },
      silentLogger(),
    );
    await h2.agent.start();
    await until(() => h2.agent.view().lastError !== null, 20_000, 'the agent’s refusal');
    assert.equal(h2.agent.view().connected, false);
    assert.match(
      h2.agent.view().lastError!,
      /registration failed: .*refused this client's TLS certificate/,
    );
    // The CLI: no client certificate at all, exit 1 with the same explanation.
    const r = nicvisor('fleet', 'status', '--fleet', cluster.url(), '--fleet-ca', f('ca.crt'));
    assert.equal(r.code, 1, r.stdout);
    assert.match(
      r.stderr,
      /refused this client's TLS certificate \(no client certificate \(--fleet-cert\)\)/,
    );
    // The other side: etcd's certificate not trusted (no --fleet-ca), exit 1, saying so.
    const u = nicvisor(
      'fleet',
      'status',
      '--fleet',
      cluster.url(),
      '--fleet-cert',
      f('client.crt'),
      '--fleet-key',
      f('client.key'),
    );
    assert.equal(u.code, 1, u.stdout);
    assert.match(
      u.stderr,
      /shows a TLS certificate this client does not trust: give the CA .* --fleet-ca/,
    );
  });
});
