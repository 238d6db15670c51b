import { Injectable, createParamDecorator } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { OpenAiHttpError } from '../errors/openai-error';
import { ApiKeyDirectory } from './api-key.directory';
import { maskApiKey } from './api-key';
import type { Caller } from './caller';

type AuthenticatedRequest = Request & { caller?: Caller };

/**
 * The caller of an `Authorization: Bearer <key>` header, or an OpenAI-shaped 401 that says what
 * is wrong (missing, malformed, unknown key: masked, never echoed whole).
 */
export function authenticateBearer(directory: ApiKeyDirectory, header: string | undefined): Caller {
  if (!header) {
    throw OpenAiHttpError.unauthorized('You did not provide an API key. Send it as "Authorization: Bearer <your Tollgate key>".', 'missing_api_key');
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) {
    throw OpenAiHttpError.unauthorized('The Authorization header must be "Bearer <your Tollgate key>".', 'invalid_authorization_header');
  }
  const caller = directory.resolve(match[1]);
  if (!caller) {
    throw OpenAiHttpError.unauthorized(`Incorrect API key provided: ${maskApiKey(match[1])}. Check the key, or ask your Tollgate admin for a new one.`);
  }
  return caller;
}

/** Bearer-key authentication for `/v1/*` and `/api/v1/*`, answered in OpenAI's error shape. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly directory: ApiKeyDirectory) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    req.caller = authenticateBearer(this.directory, req.headers.authorization);
    return true;
  }
}

/** The authenticated caller; only valid on routes behind ApiKeyGuard. */
export const CurrentCaller = createParamDecorator((_: unknown, context: ExecutionContext): Caller => {
  const caller = context.switchToHttp().getRequest<AuthenticatedRequest>().caller;
  if (!caller) throw new Error('CurrentCaller used on a route without ApiKeyGuard');
  return caller;
});
