/**
 * What refusing duplicate keys costs on every API body: JSON.parse alone (the baseline, same
 * process) against JSON.parse plus duplicateKeyOfParsed(), for a guest request (the hot
 * path) and a full VF policy; and the tokenizer path a body with a repeated key takes. Goal:
 * the check adds at most 2 µs to a guest request body (its budget over the socket is 1 ms).
 */
import { duplicateKey, duplicateKeyOfParsed } from '../src/model/duplicate-keys.js';
import { atMost, type Bench } from './_report.js';
import { percentile, timeEach } from './_stats.js';

const GUEST = JSON.stringify({ type: 'addMac', mac: '02:00:00:00:aa:01' });
const POLICY = JSON.stringify({
  name: 'web-1',
  pf: '0000:08:00.0',
  vf: 7,
  vlans: [10, 20, 30],
  macs: ['02:00:00:00:aa:01', '02:00:00:00:aa:02'],
  guestMacs: 2,
  macAntiSpoof: true,
  trust: false,
  maxTxRate: 1000,
  mirror: { target: 'tap-1', direction: 'all' },
  onStart: ['/usr/local/libexec/nicvisor/up', 'web-1'],
});
const REPEATED = POLICY.replace('"trust":false', '"trust":false,"trust":true');

function p50(n: number, fn: () => void): number {
  for (let i = 0; i < 20_000; i++) fn(); // warm up the JIT
  return percentile(
    timeEach(n, () => fn()),
    50,
  );
}

export async function run(b: Bench): Promise<void> {
  const n = 100_000;
  for (const [what, text] of [
    ['guest request body', GUEST],
    ['VF policy body', POLICY],
  ] as const) {
    const base = b.figure(
      `${what}: JSON.parse alone, p50`,
      p50(n, () => JSON.parse(text)),
      'µs',
    );
    const checked = b.figure(
      `${what}: JSON.parse + duplicate-key check, p50`,
      p50(n, () => duplicateKeyOfParsed(text, JSON.parse(text))),
      'µs',
    );
    b.figure(
      `${what}: what the check adds, p50`,
      checked.value - base.value,
      'µs',
      what.startsWith('guest') ? atMost(2) : null,
    );
    b.ratio(`${what}: checked / JSON.parse alone`, checked, base);
  }
  b.figure(
    'VF policy body with a repeated key: tokenizer, p50',
    p50(20_000, () => duplicateKey(REPEATED)),
    'µs',
  );
}
