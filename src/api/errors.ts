/**
 * Every error leaves the API as an ApiError body: what went wrong, plus problems if any.
 * The one place where the daemon's error kinds become HTTP status codes.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DaemonError } from '../daemon/errors.js';
import type { ApiError, ErrorKind } from '../model/index.js';

/** HTTP status of each kind of daemon error. */
export const STATUS_OF: Record<ErrorKind, number> = {
  invalid: 400,
  notFound: 404,
  refused: 422,
  limited: 429,
  unavailable: 503,
  busy: 503,
};

function fastifyRefusal(fe: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const limit = req.routeOptions.bodyLimit ?? '?';
  const hint =
    fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
      ? `request body too large: the limit is ${limit} bytes (daemon.bodyLimitBytes)`
      : fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'send the body as application/json'
        : `invalid request: ${fe.message}`;
  // Every fastify-level refusal (size, media type, JSON syntax, encoding) is about the
  // body as a whole: name it, like validation problems name their field.
  const dup = fe.code === 'NV_BODY_DUPLICATE_KEY';
  const problems = [
    {
      file: req.url,
      field: (fe as { field?: string }).field ?? '(body)',
      value: null,
      allowed: dup ? 'each key once per object' : `a UTF-8 JSON document of at most ${limit} bytes`,
      fix: dup ? 'send each key once' : 'send valid JSON as application/json',
      message: fe.message,
    },
  ];
  return reply.code(fe.statusCode ?? 400).send({ error: hint, problems } satisfies ApiError);
}

export function errorHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof DaemonError) {
    const body: ApiError = {
      error: err.message,
      kind: err.kind,
      ...(err.problems ? { problems: err.problems } : {}),
    };
    return reply.code(STATUS_OF[err.kind]).send(body);
  }
  const fe = err as FastifyError;
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500)
    return fastifyRefusal(fe, req, reply);
  req.log.error({ err, reqId: req.id }, 'request failed');
  return reply.code(500).send({ error: `internal error: ${err.message}` });
}
