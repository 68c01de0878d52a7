import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type Claim, Pool, type PoolInput } from '../../../src/model/index.js';
import { interfaceXml, networkXml, parsePci } from '../../../src/policy/pools/libvirt.js';

const VALIDATE = '/usr/bin/virt-xml-validate';
const haveValidator =
  spawnSync(VALIDATE, ['--help']).error === undefined &&
  spawnSync('xmllint', ['--version']).error === undefined;
const skip = haveValidator
  ? false
  : 'virt-xml-validate or xmllint missing (apt-get install libvirt-clients libxml2-utils)';

const dir = mkdtempSync(join(tmpdir(), 'nicvisor-libvirt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Run libvirt's own schema check; returns its output, throws when the XML is invalid. */
function validate(xml: string, type: 'domain' | 'network'): string {
  const f = join(dir, `${type}-${Math.random().toString(36).slice(2)}.xml`);
  writeFileSync(f, xml);
  return execFileSync(VALIDATE, [f, type], { encoding: 'utf8', stdio: 'pipe' });
}

const pool = (p: Partial<PoolInput> = {}) =>
  Pool.parse({
    name: 'vms',
    pfs: ['0000:08:00.0'],
    physicalNetwork: 'physnet1',
    deviceType: 'vfio-pci',
    profile: { vlans: [100] },
    ...p,
  });

const claim: Claim = {
  id: 'vms-7',
  pool: 'vms',
  pf: '0000:08:00.0',
  vf: 2,
  pciAddr: '0000:08:10.4',
  owner: { kind: 'vm', id: 'guest1' },
  mac: '02:00:00:00:01:07',
  since: '2026-01-01T00:00:00.000Z',
  fence: 7,
  policy: 'claim-vms-7',
  state: 'active',
};

function domain(devices: string): string {
  return `<domain type='kvm'>
  <name>guest1</name>
  <memory unit='KiB'>131072</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
${devices}
  </devices>
</domain>
`;
}

const virtioPeer = `<interface type='network'>
  <source network='default'/>
  <model type='virtio'/>
  <teaming type='persistent'/>
  <alias name='ua-backup0'/>
</interface>`;

describe('libvirt XML', () => {
  it('parses PCI addresses the way libvirt writes them', () => {
    assert.deepEqual(parsePci('0000:08:10.4'), {
      domain: '0x0000',
      bus: '0x08',
      slot: '0x10',
      function: '0x4',
    });
    assert.equal(parsePci('08:10.4'), null);
  });

  it('the claim interface has MAC, PCI address, port VLAN; teaming only for a migratable pool with a peer', () => {
    const x = interfaceXml(claim, pool());
    assert.match(x, /<interface type='hostdev' managed='yes'>/);
    assert.match(x, /<mac address='02:00:00:00:01:07'\/>/);
    assert.match(x, /<address type='pci' domain='0x0000' bus='0x08' slot='0x10' function='0x4'\/>/);
    assert.match(x, /<tag id='100'\/>/);
    assert.doesNotMatch(x, /teaming/);
    assert.doesNotMatch(interfaceXml(claim, pool({ profile: { vlans: [100, 200] } })), /<vlan>/);
    const t = interfaceXml(claim, pool({ migratable: true }), 'ua-backup0');
    assert.match(t, /<teaming type='transient' persistent='ua-backup0'\/>/);
    assert.throws(
      () => interfaceXml({ ...claim, pciAddr: undefined }, pool()),
      /has no PCI address.*sim NIC has none/,
    );
    assert.throws(() => interfaceXml(claim, pool(), 'backup0'), /not a user alias/);
  });

  it('the interface validates against libvirt’s domain schema, with and without teaming', {
    skip,
  }, () => {
    validate(domain(interfaceXml(claim, pool())), 'domain');
    validate(
      domain(`${virtioPeer}\n${interfaceXml(claim, pool({ migratable: true }), 'ua-backup0')}`),
      'domain',
    );
  });

  it('the pool network lists exactly its members and validates against libvirt’s network schema', {
    skip,
  }, () => {
    const x = networkXml(pool(), [{ pciAddr: '0000:08:10.0' }, { pciAddr: '0000:08:10.2' }, {}]);
    assert.equal(x.match(/<address type='pci'/g)?.length, 2);
    assert.match(x, /<forward mode='hostdev' managed='yes'>/);
    validate(x, 'network');
  });

  it('the validator really refuses bad XML (so the checks above can fail)', { skip }, () => {
    const bad = networkXml(pool(), [{ pciAddr: '0000:08:10.0' }]).replace(
      "mode='hostdev'",
      "mode='hostdevx'",
    );
    assert.throws(() => validate(bad, 'network'));
    assert.throws(() =>
      validate(
        domain(interfaceXml(claim, pool()).replace("type='hostdev'", "type='nope'")),
        'domain',
      ),
    );
  });
});
