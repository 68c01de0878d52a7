import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prettyLine } from '../../src/daemon/log-format.js';

const at = new Date(2026, 0, 2, 3, 4, 5, 6).getTime();

test('a pino line becomes time, level, component, message and key=value pairs', () => {
  const line = JSON.stringify({
    level: 30,
    time: at,
    pid: 1,
    name: 'nicvisor',
    component: 'api',
    listener: 'socket',
    msg: 'Server listening at /run/nicvisor/nicvisor.sock',
  });
  assert.equal(
    prettyLine(line),
    '03:04:05.006 INFO  api: Server listening at /run/nicvisor/nicvisor.sock listener=socket',
  );
});

test('values that need it are quoted; objects stay JSON; levels are named', () => {
  const line = JSON.stringify({
    level: 40,
    time: at,
    msg: 'x',
    why: 'two words',
    n: 3,
    o: { a: 1 },
  });
  assert.equal(prettyLine(line), '03:04:05.006 WARN  x why="two words" n=3 o={"a":1}');
  assert.match(
    prettyLine(JSON.stringify({ level: 50, time: at, msg: 'e' }), true),
    /\x1b\[31mERROR\x1b\[0m/,
  );
});

test('an error keeps its stack on the following lines; non-JSON passes through', () => {
  const line = JSON.stringify({
    level: 50,
    time: at,
    msg: 'failed',
    err: { message: 'boom', stack: 'Error: boom\n    at f' },
  });
  assert.equal(prettyLine(line), '03:04:05.006 ERROR failed \nError: boom\n    at f');
  assert.equal(prettyLine('not json'), 'not json');
});
