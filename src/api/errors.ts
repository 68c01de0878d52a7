/** Every error leaves the API as an ApiError body: what went wrong, plus problems if any. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DaemonError } from '../daemon/errors.js';
import { LockTimeoutError } from '../daemon/mutex.js';
import type { ApiError } from '../model/index.js';

export function errorHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof DaemonError) {
    const body: ApiError = {
      error: err.message,
      ...(err.problems ? { problems: err.problems } : {}),
    };
    return reply.code(err.status).send(body);
  }
  if (err instanceof LockTimeoutError) return reply.code(503).send({ error: err.message });
  const fe = err as FastifyError;
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    const hint =
      fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `request body too large: the limit is ${req.routeOptions.bodyLimit ?? '?'} bytes (daemon.bodyLimitBytes)`
        : fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'send the body as application/json'
          : `invalid request: ${fe.message}`;
    // Every fastify-level refusal (size, media type, JSON syntax, encoding) is about the
    // body as a whole: name it, like validation problems name their field.
    const problems = [
      {
        file: req.url,
        field: '(body)',
        value: null,
        allowed: `a UTF-8 JSON document of at most ${req.routeOptions.bodyLimit ?? '?'} bytes`,
        fix: 'send valid JSON as application/json',
        message: fe.message,
      },
    ];
    return reply.code(fe.statusCode).send({ error: hint, problems });
  }
  req.log.error({ err }, 'request failed');
  return reply.code(500).send({ error: `internal error: ${err.message}` });
}
