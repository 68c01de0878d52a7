import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { notification } from '../../../src/drivers/linux/drift-watcher.js';
import type { NlMsg } from '../../../src/drivers/linux/netlink/message.js';

/** A notification as the listener hands it over: header fields and the body after it. */
function msg(type: number, ifindex: number | null): NlMsg {
  const payload = Buffer.alloc(ifindex === null ? 2 : 16);
  if (ifindex !== null) payload.writeInt32LE(ifindex, 4);
  return { type, flags: 0, seq: 0, pid: 0, payload };
}

describe('DriftWatcher: what a notification names', () => {
  it('a link notification names its netdev (a netns move flushes its filters silently)', () => {
    assert.deepEqual(notification(msg(16, 7)), { reason: 'link notification', ifindex: 7 });
    assert.deepEqual(notification(msg(17, 7)), { reason: 'link notification', ifindex: 7 });
  });

  it('a TC notification names its netdev; one too short to carry it asks for nothing', () => {
    // RTM_NEWTFILTER 44, RTM_DELQDISC 37
    assert.deepEqual(notification(msg(44, 9)), { reason: 'tc notification', ifindex: 9 });
    assert.deepEqual(notification(msg(37, 3)), { reason: 'tc notification', ifindex: 3 });
    assert.equal(notification(msg(44, null)), null);
    assert.deepEqual(notification(msg(16, null)), { reason: 'link notification' });
  });
});
