/**
 * The JSON body parser of every listener: fastify's own (which refuses `__proto__` and
 * `constructor.prototype` keys) behind a fatal UTF-8 decode — fastify decodes bodies
 * leniently, turning invalid bytes into U+FFFD, so a hostile name or MAC would reach
 * validation as a different string than the client sent — and a check that no object
 * gives a key twice (`"trust":false,"trust":true` would otherwise mean trust).
 */
import type { FastifyInstance } from 'fastify';
import { duplicateKeyOfParsed } from '../model/duplicate-keys.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function strictJsonBodies(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      const err = new Error('the body is not valid UTF-8') as Error & {
        statusCode: number;
        code: string;
      };
      err.statusCode = 400;
      err.code = 'NV_BODY_NOT_UTF8';
      done(err, undefined);
      return;
    }
    parse(req, text, (err: Error | null, data?: unknown) => {
      if (err) return done(err, undefined);
      const dup = duplicateKeyOfParsed(text, data);
      if (!dup) return done(null, data);
      const e = new Error(
        `the body gives key "${dup.key}" twice (at ${dup.path}): send each key once`,
      ) as Error & { statusCode: number; code: string; field: string };
      e.statusCode = 400;
      e.code = 'NV_BODY_DUPLICATE_KEY';
      e.field = dup.path;
      done(e, undefined);
    });
  });
}
