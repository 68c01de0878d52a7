import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { jsonSchemas, referenceMarkdown } from '../../src/model/json-schema.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('generated schema and reference', () => {
  for (const [name, schema] of Object.entries(jsonSchemas())) {
    it(`schema/${name} is up to date (run npm run schema)`, () => {
      const committed = readFileSync(join(root, 'schema', name), 'utf8');
      assert.equal(committed, `${JSON.stringify(schema, null, 2)}\n`);
    });
  }

  it('docs/reference.md is up to date (run npm run schema) and covers every VF field', () => {
    const md = readFileSync(join(root, 'docs', 'reference.md'), 'utf8');
    assert.equal(md, referenceMarkdown());
    for (const f of [
      'macs',
      'guestMacs',
      'trafficShares',
      'mirror.target',
      'onStart',
      'pfs[].numVfs',
      'pfs[].qos.trafficClasses[].bandwidth',
    ]) {
      assert.ok(md.includes(`| \`${f}\` |`), `reference lacks ${f}`);
    }
  });
});
