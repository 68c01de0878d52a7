import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCni } from '../../../src/cli/cni/plugin.cjs';
import { addResult, parseEnv, parseNetConf } from '../../../src/cli/cni/spec.cjs';

const env = (e: Record<string, string>) => ({
  CNI_CONTAINERID: 'abc123',
  CNI_NETNS: '/run/netns/x',
  CNI_IFNAME: 'net1',
  ...e,
});
const conf = { cniVersion: '1.0.0', name: 'sriov', type: 'nicvisor-cni', pool: 'net1' };

describe('CNI protocol', () => {
  it('VERSION answers the supported versions', async () => {
    const r = await runCni({ env: { CNI_COMMAND: 'VERSION' }, stdin: '' });
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout).supportedVersions, ['0.3.0', '0.3.1', '0.4.0', '1.0.0']);
  });

  it('bad environment and netconf answer the spec’s error codes on stdout, exit 1', async () => {
    const cases: [Record<string, string>, string, number, RegExp][] = [
      [{ CNI_COMMAND: 'BOOT' }, '{}', 4, /CNI_COMMAND "BOOT"/],
      [{ CNI_COMMAND: 'ADD', CNI_NETNS: '' }, JSON.stringify(conf), 4, /missing CNI_NETNS for ADD/],
      [
        { CNI_COMMAND: 'ADD', CNI_IFNAME: 'a-much-too-long-name' },
        JSON.stringify(conf),
        4,
        /CNI_IFNAME/,
      ],
      [{ CNI_COMMAND: 'ADD' }, '{not json', 6, /not JSON/],
      [{ CNI_COMMAND: 'ADD' }, JSON.stringify({ ...conf, pool: undefined }), 7, /pool/],
      [
        { CNI_COMMAND: 'ADD' },
        JSON.stringify({ ...conf, cniVersion: '9.9.9' }),
        1,
        /9.9.9 is not supported/,
      ],
    ];
    for (const [e, stdin, code, msg] of cases) {
      const r = await runCni({ env: env(e), stdin });
      assert.equal(r.code, 1);
      const out = JSON.parse(r.stdout);
      assert.equal(out.code, code, r.stdout);
      assert.match(out.msg, msg);
    }
  });

  it('DEL may come without a netns; the daemon being down is an I/O error naming the socket', async () => {
    const e = parseEnv(env({ CNI_COMMAND: 'DEL', CNI_NETNS: '' }));
    assert.equal(e.netns, '');
    const r = await runCni({
      env: env({ CNI_COMMAND: 'DEL' }),
      stdin: JSON.stringify({ ...conf, socket: '/nonexistent/s.sock' }),
    });
    assert.equal(r.code, 1);
    assert.match(JSON.parse(r.stdout).msg, /cannot reach the daemon at unix:\/nonexistent\/s.sock/);
  });

  it('the ADD result appends to a prevResult and points the IPAM addresses at our interface', () => {
    const c = parseNetConf(
      JSON.stringify({
        ...conf,
        prevResult: {
          cniVersion: '1.0.0',
          interfaces: [{ name: 'eth0' }],
          ips: [{ address: '10.0.0.2/24', interface: 0 }],
        },
      }),
    );
    const r = addResult(
      c,
      { name: 'net1', mac: '02:00:00:00:00:01', sandbox: '/run/netns/x' },
      {
        cniVersion: '1.0.0',
        ips: [{ address: '10.9.0.2/24', gateway: '10.9.0.1' }],
        routes: [{ dst: '0.0.0.0/0' }],
      },
    );
    assert.deepEqual(
      r.interfaces?.map((i) => i.name),
      ['eth0', 'net1'],
    );
    assert.deepEqual(r.ips, [
      { address: '10.0.0.2/24', interface: 0 },
      { address: '10.9.0.2/24', gateway: '10.9.0.1', interface: 1 },
    ]);
    assert.deepEqual(r.routes, [{ dst: '0.0.0.0/0' }]);
  });
});
