import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fleetBackend } from '../../../src/daemon/fleet/index.js';
import { parseFleetUrl, parseLabels } from '../../../src/daemon/fleet/url.js';
import { silentLogger } from '../../../src/daemon/logger.js';

test('fleet URLs: endpoints, prefix, TLS', () => {
  assert.deepEqual(parseFleetUrl('etcd://10.0.0.1:2379,10.0.0.2:2379'), {
    endpoints: ['10.0.0.1:2379', '10.0.0.2:2379'],
    prefix: '/nicvisor/',
    tls: null,
  });
  assert.equal(parseFleetUrl('etcd://e:2379/lab/').prefix, '/lab/');
  assert.deepEqual(parseFleetUrl('etcds://e:2379').tls, {});
  assert.throws(() => parseFleetUrl('http://e:2379'), /not a fleet URL.*etcd:\/\//);
  assert.throws(() => parseFleetUrl('etcd://e:99999'), /e:99999 not HOST:PORT/);
  assert.throws(() => parseFleetUrl('etcds://e:1', { cert: '/x' }), /go together/);
  assert.throws(
    () => parseFleetUrl('etcds://e:1', { ca: '/nonexistent.pem' }),
    /--fleet-ca \/nonexistent.pem/,
  );
});

test('an unknown fleet store is refused, listing the valid ones', () => {
  assert.throws(
    () => fleetBackend('consul://x:1', {}, silentLogger()),
    /unknown fleet store "consul" \(valid: etcd, etcds\)/,
  );
});

test('labels: k=v pairs; a bad one is named', () => {
  assert.deepEqual(parseLabels('rack=r1,zone=a'), { rack: 'r1', zone: 'a' });
  assert.deepEqual(parseLabels(undefined), {});
  assert.throws(() => parseLabels('rack'), /--labels "rack": not KEY=VALUE/);
});
