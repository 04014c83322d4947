import type { FastifyError, FastifyInstance } from 'fastify';
import { LakeboxError } from '@lakebox/common';

/**
 * Errors become Databricks-style JSON bodies `{error_code, message}`: a LakeboxError with its own
 * status; fastify's client errors (bad JSON, validation) as 4xx; anything else as a 500 with a
 * generic message (the error and its stack go to the log only).
 */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | LakeboxError | Error, request, reply) => {
    if (error instanceof LakeboxError) {
      if (error.httpStatus >= 500) request.log.error({ err: error }, error.message);
      return reply.status(error.httpStatus).send(error.toJSON());
    }
    const fe = error as FastifyError;
    if (fe.validation) {
      return reply.status(400).send({ error_code: 'INVALID_PARAMETER_VALUE', message: fe.message });
    }
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.status(fe.statusCode).send({ error_code: 'MALFORMED_REQUEST', message: fe.message });
    }
    request.log.error({ err: error }, 'internal error');
    return reply.status(500).send({
      error_code: 'INTERNAL_ERROR',
      message: `Internal error (request ${request.id}); the server log has the details.`,
    });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({
      error_code: 'ENDPOINT_NOT_FOUND',
      message: `No API found for '${request.method} ${request.url.split('?')[0]}'`,
    });
  });
}
