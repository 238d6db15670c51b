import { Catch, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OpenAiErrorBody, OpenAiErrorType } from '@tollgate/contracts';
import { sendJson } from '../http/send-json';
import { OpenAiHttpError, isOpenAiErrorBody } from './openai-error';

/** body-parser's errors carry a `type` and a status; they reach us before any controller. */
interface BodyParserError {
  type: string;
  status?: number;
  statusCode?: number;
  limit?: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return typeof error === 'object' && error !== null && typeof (error as { type?: unknown }).type === 'string' && ('status' in error || 'statusCode' in error);
}

function typeForStatus(status: number): OpenAiErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

const logger = new Logger('HTTP');

/**
 * Every error leaves in OpenAI's `{error:{message,type,param,code}}` shape, with a status that
 * tells the client whose fault it was: malformed bodies are 400, oversized ones 413, never 500.
 * Unexpected errors are logged with the request id and answered with a message that says so.
 * Used by the filter below and by routes served outside Nest (libs/platform fast routes).
 */
export function sendOpenAiError(req: IncomingMessage, res: ServerResponse, exception: unknown): void {
  const { status, body } = translate(exception, req);
  if (res.headersSent) {
    res.end();
    return;
  }
  if (exception instanceof OpenAiHttpError) for (const [name, value] of Object.entries(exception.headers)) res.setHeader(name, value);
  sendJson(res, status, body);
}

function translate(exception: unknown, req: IncomingMessage): { status: number; body: OpenAiErrorBody } {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    if (isOpenAiErrorBody(response)) return { status, body: response };
    const message =
      typeof response === 'string'
        ? response
        : Array.isArray((response as { message?: unknown }).message)
          ? ((response as { message: string[] }).message).join('; ')
          : String((response as { message?: unknown }).message ?? exception.message);
    const cause = exception.cause;
    if (isBodyParserError(cause)) return bodyParserError(cause);
    return { status, body: { error: { message, type: typeForStatus(status), param: null, code: status === 404 ? 'route_not_found' : null } } };
  }
  if (isBodyParserError(exception)) return bodyParserError(exception);
  logger.error(`unhandled error on ${req.method} ${(req.url ?? '').split('?', 1)[0]} (request ${String(req.headers['x-request-id'] ?? '-')})`, exception instanceof Error ? exception.stack : String(exception));
  return {
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    body: { error: { message: 'Tollgate hit an internal error; the request id in x-request-id identifies it in our logs. Retrying may help.', type: 'server_error', param: null, code: 'internal_error' } },
  };
}

function bodyParserError(error: BodyParserError): { status: number; body: OpenAiErrorBody } {
  if (error.type === 'entity.too.large') return openAiError(OpenAiHttpError.bodyTooLarge(error.limit));
  if (error.type === 'entity.parse.failed') return openAiError(OpenAiHttpError.invalidJson());
  const status = error.status ?? error.statusCode ?? 400;
  return { status: status >= 500 ? 400 : status, body: { error: { message: `Could not read the request body (${error.type}).`, type: 'invalid_request_error', param: null, code: 'invalid_body' } } };
}

function openAiError(error: OpenAiHttpError): { status: number; body: OpenAiErrorBody } {
  return { status: error.getStatus(), body: error.getResponse() as OpenAiErrorBody };
}

/** Nest's side of sendOpenAiError: every exception a controller, guard or middleware throws. */
@Catch()
export class OpenAiExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    sendOpenAiError(http.getRequest<IncomingMessage>(), http.getResponse<ServerResponse>(), exception);
  }
}
