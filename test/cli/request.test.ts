import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRequest } from '../../src/cli/commands/request.js';

test('request setMulticastList: the whole list, comma-separated; none leaves every group', () => {
  assert.deepEqual(parseRequest('setMulticastList', '01:00:5e:00:00:fb,33:33:00:00:00:01'), {
    type: 'setMulticastList',
    groups: ['01:00:5e:00:00:fb', '33:33:00:00:00:01'],
  });
  assert.deepEqual(parseRequest('setMulticastList', undefined), {
    type: 'setMulticastList',
    groups: [],
  });
});
