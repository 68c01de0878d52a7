/**
 * `nicvisor completion bash|zsh` and `nicvisor man`, generated from the commander tree:
 * bash completes commands, options and argument choices (run in a real bash), zsh parses
 * the function, groff renders the page without warnings, and every command is in each.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildProgram } from '../../../src/cli/program.js';
import { nicvisor } from '../run.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const COMMANDS = buildProgram()
  .commands.map((c) => c.name())
  .filter((n) => !n.startsWith('__'));

async function bashComplete(script: string, words: string[]): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-comp-'));
  const file = join(dir, 'nicvisor.bash');
  await writeFile(file, script);
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const r = spawnSync(
    'bash',
    [
      '-c',
      `source ${file}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _nicvisor; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '');
}

test('bash completion: commands, options, option values and argument choices', async () => {
  const r = nicvisor('completion', 'bash');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await bashComplete(r.stdout, ['nicvisor', '']), COMMANDS);
  assert.deepEqual(await bashComplete(r.stdout, ['nicvisor', 'ev']), ['events']);
  // A global option's value is skipped when finding the command.
  assert.deepEqual(
    await bashComplete(r.stdout, ['nicvisor', '--socket', '/x', 'mirror', 'a', '']),
    ['in', 'out', 'all', 'off'],
  );
  assert.deepEqual(await bashComplete(r.stdout, ['nicvisor', 'request', 'vf', 'setM']), [
    'setMac',
    'setMtu',
    'setMulticastList',
  ]);
  const showOpts = await bashComplete(r.stdout, ['nicvisor', 'show', '--']);
  for (const o of ['--watch', '--interval', '--json', '--socket'])
    assert.ok(showOpts.includes(o), o);
  assert.deepEqual(await bashComplete(r.stdout, ['nicvisor', 'completion', '']), ['bash', 'zsh']);
  assert.deepEqual(await bashComplete(r.stdout, ['nicvisor', 'show', 'st']), ['stats']);
});

test('zsh completion parses and names every command', {
  skip: !has('zsh') && 'zsh is not installed (apt-get install zsh)',
}, async () => {
  const r = nicvisor('completion', 'zsh');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^#compdef nicvisor\n/);
  const check = spawnSync('zsh', ['-n'], { input: r.stdout, encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
  // Loaded into a real completion system, it registers itself for the command.
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-zsh-'));
  await writeFile(join(dir, '_nicvisor'), r.stdout);
  const script = `autoload -U compinit; compinit -u -d ${dir}/dump; source ${dir}/_nicvisor; print -r -- \${_comps[nicvisor]}`;
  const loaded = spawnSync('zsh', ['-fc', script], {
    encoding: 'utf8',
    env: { ...process.env, HOME: dir },
  });
  assert.equal(loaded.stdout, '_nicvisor\n', loaded.stderr);
  for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^    '${c}:`, 'm'), c);
});

test('completion refuses an unknown shell (usage error)', () => {
  const r = nicvisor('completion', 'fish');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Allowed choices are bash, zsh/);
});

test('the man page renders without warnings and documents commands, exit codes, environment', {
  skip: !has('groff') && 'groff is not installed',
}, () => {
  const r = spawnSync(
    process.execPath,
    [join(import.meta.dirname, '../../../src/cli/main.js'), 'man'],
    {
      encoding: 'utf8',
      env: { ...process.env, SOURCE_DATE_EPOCH: '1767225600' },
    },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\.TH NICVISOR 1 "2026-01-01"/);
  const g = spawnSync('groff', ['-man', '-Tutf8', '-ww'], { input: r.stdout, encoding: 'utf8' });
  assert.equal(g.status, 0);
  assert.equal(g.stderr, '', 'groff warnings');
  const text = g.stdout.replace(/.\x08/g, ''); // drop overstrike bold/underline
  for (const c of COMMANDS) assert.match(text, new RegExp(`nicvisor ${c}\\b`), c);
  for (const s of ['EXIT STATUS', 'ENVIRONMENT', 'NICVISOR_SOCKET', 'NICVISOR_TOKEN', 'EXAMPLES'])
    assert.ok(text.includes(s), s);
  assert.match(text, /3\s+nack/);
});

test('--help shows examples, exit codes, environment and the global options', () => {
  const r = nicvisor('--help');
  assert.equal(r.code, 0);
  for (const s of [
    'Examples:',
    'Exit codes:',
    'NICVISOR_SOCKET',
    'NICVISOR_TOKEN',
    '--socket',
    '--url',
    '--token',
    '--json',
  ])
    assert.ok(r.stdout.includes(s), s);
  const sub = nicvisor('show', '--help');
  assert.match(sub.stdout, /Global Options:[\s\S]*--socket/);
});
