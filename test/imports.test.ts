/**
 * The house view of the imports, kept true: data flows down the layers (model ← policy ←
 * drivers ← daemon ← api ← cli/web) and nothing imports from a layer above it, no driver
 * imports another driver, the dashboard's browser code imports only types from outside
 * web/, and the modules that run have no import circle. Read from the sources (type imports
 * count for layering) and from the compiled JavaScript (what runs, dynamic imports included,
 * for circles).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RANK: Record<string, number> = { model: 0, policy: 1, drivers: 2, daemon: 3, api: 4 };
const TOP = 5; // cli and web: clients, each on its own

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

function files(dir: string, ext: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return files(p, ext);
    return e.name.endsWith(ext) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The specifiers of a module's static imports: `import/export … from '…'` and `import '…'`. */
function staticImports(text: string): { spec: string; typeOnly: boolean }[] {
  return [
    ...text.matchAll(
      /^\s*(?:import|export)\s+(type\s+)?[^;]*?\sfrom\s+'([^']+)'|^\s*import\s+'([^']+)'/gms,
    ),
  ].map((m) => ({ spec: m[2] ?? m[3], typeOnly: m[1] !== undefined }));
}

/** Relative imports of one file: static (staticImports) and dynamic (import('…')). */
function edges(file: string, base: string): Edge[] {
  const text = readFileSync(file, 'utf8');
  const out: Edge[] = [];
  const add = (spec: string, typeOnly: boolean) => {
    if (!spec.startsWith('.')) return;
    const to = resolve(dirname(file), spec).replace(/\.js$/, base.endsWith('src') ? '.ts' : '.js');
    out.push({ from: relative(base, file), to: relative(base, to), typeOnly });
  };
  for (const { spec, typeOnly } of staticImports(text)) add(spec, typeOnly);
  for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) add(m[1], false);
  return out;
}

const layer = (path: string) => path.split('/')[0];
const rank = (path: string) => RANK[layer(path)] ?? TOP;

test('no import runs up a layer, across drivers, or out of the browser code', () => {
  const base = join(ROOT, 'src');
  const bad: string[] = [];
  for (const e of files(base, '.ts').flatMap((f) => edges(f, base))) {
    const [from, to] = [layer(e.from), layer(e.to)];
    if (from === to) {
      const [a, b] = [e.from.split('/'), e.to.split('/')];
      // drivers/sim/x.ts may import drivers/driver.ts, never drivers/linux/…
      if (from === 'drivers' && a.length > 2 && b.length > 2 && a[1] !== b[1])
        bad.push(`${e.from} → ${e.to}: one driver imports another`);
      continue;
    }
    if (rank(e.to) > rank(e.from) || (rank(e.to) === TOP && rank(e.from) === TOP))
      bad.push(`${e.from} → ${e.to}: ${from}/ imports from ${to}/, a layer above it`);
    if (from === 'web' && !e.typeOnly)
      bad.push(`${e.from} → ${e.to}: the dashboard runs in the browser; import types only`);
  }
  assert.deepEqual(bad, []);
});

test('the compiled modules have no import circle', () => {
  const base = join(ROOT, 'dist', 'src');
  const graph = new Map<string, string[]>();
  for (const f of files(base, '.js')) {
    const rel = relative(base, f);
    graph.set(rel, [...new Set(edges(f, base).map((e) => e.to))]);
  }
  const circles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 'open') circles.push([...stack.slice(stack.indexOf(m)), m].join(' → '));
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
  assert.ok(graph.size > 50, `read the compiled modules (${graph.size})`);
  assert.deepEqual(circles, []);
});

test('`nicvisor` starts without the schemas: its static imports reach neither zod nor the model barrel', () => {
  // What a command needs beyond its definition it imports when it runs (commands/validate.ts):
  // zod/v4 alone is 94 modules, and `--version` and shell completion loaded 204 (bench/cli.ts).
  const base = join(ROOT, 'dist', 'src');
  const seen = new Set<string>();
  const packages = new Set<string>();
  const walk = (rel: string) => {
    if (seen.has(rel)) return;
    seen.add(rel);
    for (const { spec } of staticImports(readFileSync(join(base, rel), 'utf8'))) {
      if (spec.startsWith('.')) walk(relative(base, resolve(dirname(join(base, rel)), spec)));
      else if (!spec.startsWith('node:')) packages.add(spec.split('/')[0]);
    }
  };
  walk('cli/main.js');
  assert.ok(seen.has('cli/commands/validate.js'), 'walked into the command modules');
  assert.deepEqual([...packages].sort(), ['commander']);
  assert.deepEqual(
    [...seen].filter((m) => m.startsWith('model/') && m !== 'model/plain.js'),
    [],
    'the model modules build zod schemas when they load; the start path uses model/plain.js',
  );
});
