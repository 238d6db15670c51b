import type { IncomingMessage, ServerResponse } from 'node:http';
import { newUlid } from '@tollgate/contracts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Every response names its request: a well-formed incoming `x-request-id` is kept, any other gets
 * `req_<ulid>`. The id is written back into the request headers for handlers and logs.
 */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : `req_${newUlid()}`;
  req.headers['x-request-id'] = id;
  res.setHeader('x-request-id', id);
  return id;
}
