/**
 * The web dashboard's files: GET / (the page) and GET /ui/{file} (its modules, CSS and the
 * uPlot chart library). The page's own code is TypeScript compiled by the project's normal
 * build into dist/src/web/; its HTML and CSS stay in src/web/; uPlot is served straight from
 * node_modules. Only names found in those places at startup are served (an allow-list, so no
 * path from the URL ever reaches the file system).
 *
 * These routes are public (auth.ts): the files hold no data; every API call the page makes
 * carries the bearer token. A strict Content-Security-Policy keeps the token safe from
 * injected script: only same-origin scripts, no inline code.
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The package's root: the first directory above this module holding a package.json. This
 * module runs from dist/src/api/routes/ (as tsc wrote it) and from dist/cli/ (the bundle,
 * scripts/bundle.ts), so the files are found from the root, not from the module's place.
 */
function packageRoot(): string | null {
  for (let d = dirname(fileURLToPath(import.meta.url)); d !== dirname(d); d = dirname(d))
    if (existsSync(join(d, 'package.json'))) return d;
  return null;
}

/** URL name → file path, for everything the dashboard may load. */
export function dashboardFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const root = packageRoot();
  const add = (dir: string, ext: string[]) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return; // not built yet: the page answers 503 naming the fix
    }
    for (const n of names) if (ext.some((e) => n.endsWith(e))) files.set(n, dir + n);
  };
  if (root) {
    add(join(root, 'dist/src/web/'), ['.js']);
    add(join(root, 'src/web/'), ['.html', '.css', '.svg']);
  }
  const require = createRequire(import.meta.url);
  files.set('vendor/uPlot.esm.js', require.resolve('uplot/dist/uPlot.esm.js'));
  files.set('vendor/uPlot.min.css', require.resolve('uplot/dist/uPlot.min.css'));
  return files;
}

function extOf(name: string): string {
  return name.slice(name.lastIndexOf('.'));
}

export function dashboardRoutes(app: FastifyInstance): void {
  const files = dashboardFiles();
  const cache = new Map<string, Buffer>();

  const send = async (reply: FastifyReply, name: string) => {
    const path = files.get(name);
    if (!path) return reply.code(404).send({ error: `no dashboard file ${name}` });
    let body = cache.get(name);
    if (!body) {
      body = await readFile(path);
      cache.set(name, body);
    }
    return reply
      .header('content-type', TYPES[extOf(name)] ?? 'application/octet-stream')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', DASHBOARD_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(body);
  };

  const config = { public: true };
  app.get('/', { config }, async (_req, reply) => {
    if (!files.has('index.html'))
      return reply
        .code(503)
        .send({ error: 'the dashboard is not built: run `npm run build` and restart' });
    return send(reply, 'index.html');
  });
  app.get('/ui/*', { config }, async (req, reply) =>
    send(reply, (req.params as { '*': string })['*']),
  );
}
