// Turns the strace dumps written by capture-fixtures.sh into test/fixtures/netlink/*.hex:
// for each `ip` run, the last request iproute2 sent on its rtnetlink socket (fd 3) and the
// kernel's answer to it. Usage: node test/lab/strace-to-hex.mjs CAPTURE_DIR FIXTURE_DIR
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [src, dst] = process.argv.slice(2);
const info = readFileSync(join(src, 'info.txt'), 'utf8');

/** Every send/recv on fd 3 that carried data, with its bytes. */
function exchanges(text) {
  const out = [];
  let cur = null;
  for (const line of text.split('\n')) {
    const call = /^\d+\s+(sendmsg|sendto|recvmsg)\(3,/.exec(line);
    if (call) {
      cur = { dir: call[1] === 'recvmsg' ? 'recv' : 'send', hex: '' };
      out.push(cur);
      continue;
    }
    const dump = /^ \| [0-9a-f]{5} {2}((?:[0-9a-f]{2} +){1,16})/.exec(line);
    if (dump && cur) cur.hex += dump[1].replace(/\s+/g, '');
    else if (!line.startsWith(' ')) cur = null;
  }
  return out.filter((e) => e.hex.length > 0);
}

const lines = (hex) => hex.match(/.{1,32}/g).join('\n');
for (const f of readdirSync(src).filter((n) => n.endsWith('.strace'))) {
  const name = f.replace(/\.strace$/, '');
  const cmd = new RegExp(`^${name} rc=(\\d+) : (.*)$`, 'm').exec(info);
  const ex = exchanges(readFileSync(join(src, f), 'utf8'));
  // The request is the last one sent with a non-zero sequence number (the first send of every
  // `ip` run is iproute2's probe for extended-ack support, seq 0).
  const reqIdx = ex.findLastIndex((e) => e.dir === 'send' && e.hex.slice(16, 24) !== '00000000');
  const req = ex[reqIdx];
  const ans = ex.slice(reqIdx + 1).find((e) => e.dir === 'recv');
  const head = [
    `# iproute2-6.1.0 \`${cmd?.[2]}\` (exit ${cmd?.[1]}) against netdevsim in the lab VM`,
    '# (Debian 6.1 kernel), captured with `strace -e write=all -e read=all` by',
    '# test/lab/capture-fixtures.sh and converted by test/lab/strace-to-hex.mjs.',
  ].join('\n');
  writeFileSync(join(dst, `${name}.request.hex`), `${head}\n${lines(req.hex)}\n`);
  if (ans) writeFileSync(join(dst, `${name}.answer.hex`), `${head}\n${lines(ans.hex)}\n`);
}
