import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApiServer } from '../../src/api/server.js';
import { ApiClient, type ApiRequestError } from '../../src/cli/client.js';
import { startHarness } from '../daemon/harness.js';

const TOKEN = 'admin-token-0123456789';

test('the TCP listener refuses to start without a token', async () => {
  const h = await startHarness();
  try {
    const s = new ApiServer(h.daemon, {
      socket: join(h.dir, 'a.sock'),
      bodyLimit: 65536,
      tcp: { host: '127.0.0.1', port: 0 },
    });
    await assert.rejects(s.start(), /needs a bearer token/);
    await s.stop();
  } finally {
    await h.cleanup();
  }
});

test('TCP answers 401 without the token and 200 with it', async () => {
  const h = await startHarness();
  const s = new ApiServer(h.daemon, {
    socket: join(h.dir, 'a.sock'),
    bodyLimit: 65536,
    tcp: { host: '127.0.0.1', port: 0, token: TOKEN },
  });
  await s.start();
  try {
    const url = s.addresses[1];
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    for (const token of [undefined, 'wrong-token-xxxxxxxxxxxx']) {
      const c = new ApiClient({ url, token });
      await assert.rejects(c.health(), (e: ApiRequestError) => e.status === 401);
      c.close();
    }
    const ok = new ApiClient({ url, token: TOKEN });
    assert.equal((await ok.vfs()).length, 3);
    const { token } = await ok.issueCredential('db-1');
    const guest = new ApiClient({ url, token });
    assert.equal(
      (await guest.guestRequest('db-1', { type: 'setAllmulti', enable: true })).result,
      'ack',
    );
    await assert.rejects(
      guest.guestRequest('web-1', { type: 'reset' }),
      (e: ApiRequestError) => e.status === 403,
    );
    await assert.rejects(guest.stats(), (e: ApiRequestError) => e.status === 403);
    ok.close();
    guest.close();
  } finally {
    await s.stop();
    await h.cleanup();
  }
});
