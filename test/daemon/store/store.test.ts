import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { sweepTempFiles, TEMP_MARKER } from '../../../src/daemon/fsutil.js';
import { VfPolicy } from '../../../src/model/index.js';
import { PF0, policies, startHarness } from '../harness.js';

test('a leftover temp file is moved aside at start, with a warning, never loaded', async () => {
  const h = await startHarness();
  try {
    const vfs = join(h.stateDir, 'vfs');
    // A crash between write and rename: a complete-looking policy in a temp file.
    const evil = { ...policies[0], name: 'ghost', vf: 6, macs: ['02:00:00:00:00:66'] };
    await writeFile(join(vfs, `${TEMP_MARKER}ghost.json.abcd`), JSON.stringify(evil));
    const warnings: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
    await h.daemon.stop();
    const { Daemon } = await import('../../../src/daemon/service.js');
    h.daemon = new Daemon({ configFile: h.configFile, driver: h.fake, log });
    await h.daemon.start();
    assert.deepEqual(
      h.daemon.listVfs().map((v) => v.name),
      ['db-1', 'web-1', 'web-2'],
    );
    assert.ok(
      warnings.some((w) => w.includes('temp files') && w.includes('ghost')),
      warnings.join('\n'),
    );
    const aside = await readdir(join(vfs, '.aside'));
    assert.equal(aside.length, 1);
    assert.ok(aside[0].startsWith(`${TEMP_MARKER}ghost.json.abcd.`));
    assert.deepEqual(await sweepTempFiles(vfs), []);
  } finally {
    await h.cleanup();
  }
});

test('a change is validated as a whole; a valid one bumps only the changed revisions', async () => {
  const h = await startHarness();
  try {
    const before = new Map(h.daemon.listVfs().map((v) => [v.name, v.revision]));
    await h.daemon.putVf(
      VfPolicy.parse({
        name: 'web-1',
        pf: PF0,
        vf: 0,
        vlans: [100, 300],
        macs: ['02:00:00:00:00:01'],
        guestMacs: 1,
      }),
      'admin',
    );
    const after = new Map(h.daemon.listVfs().map((v) => [v.name, v.revision]));
    assert.ok(after.get('web-1')! > before.get('web-1')!);
    assert.equal(after.get('web-2'), before.get('web-2'));
    assert.equal(after.get('db-1'), before.get('db-1'));
    const stored = JSON.parse(await readFile(join(h.stateDir, 'vfs', 'web-1.json'), 'utf8'));
    assert.deepEqual(stored.vlans, [100, 300]);
    assert.equal(stored.macAntiSpoof, true, 'defaults are written out explicitly');
  } finally {
    await h.cleanup();
  }
});

test('narrowing a policy prunes what the guest held', async () => {
  const h = await startHarness();
  try {
    const d = await h.daemon.guestRequest('web-2', { type: 'addVlan', vlan: 200 }, 'admin');
    assert.equal(d.result, 'ack', d.reason);
    const mtu = await h.daemon.guestRequest('web-2', { type: 'setMtu', mtu: 1400 }, 'admin');
    assert.equal(mtu.result, 'ack', mtu.reason);
    await h.daemon.putVf(
      VfPolicy.parse({
        name: 'web-2',
        pf: PF0,
        vf: 1,
        vlans: [100],
        macs: ['02:00:00:00:00:02'],
        mtu: 1300,
      }),
      'admin',
    );
    const v = h.daemon.getVf('web-2');
    assert.deepEqual(v.guest.vlans, []);
    assert.equal(v.guest.mtu, null, 'guest MTU 1400 is above the new limit 1300');
    assert.deepEqual(h.fake.pfs.get(PF0)!.vfs[1].settings.vlans, [100]);
    const file = JSON.parse(await readFile(join(h.stateDir, 'guest', 'web-2.json'), 'utf8'));
    assert.deepEqual(file.vlans, []);
  } finally {
    await h.cleanup();
  }
});
