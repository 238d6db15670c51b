import { Catch, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { OpenAiErrorBody, OpenAiErrorType } from '@tollgate/contracts';
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

/**
 * Every error leaves in OpenAI's `{error:{message,type,param,code}}` shape, with a status that
 * tells the client whose fault it was: malformed bodies are 400, oversized ones 413, never 500.
 * Unexpected errors are logged with the request id and answered with a message that says so.
 */
@Catch()
export class OpenAiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const res = http.getResponse<Response>();
    const req = http.getRequest<Request>();
    const { status, body } = this.translate(exception, req);
    if (res.headersSent) {
      res.end();
      return;
    }
    if (exception instanceof OpenAiHttpError) for (const [name, value] of Object.entries(exception.headers)) res.setHeader(name, value);
    res.status(status).json(body);
  }

  private translate(exception: unknown, req: Request): { status: number; body: OpenAiErrorBody } {
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
      if (isBodyParserError(cause)) return this.bodyParserError(cause);
      return { status, body: { error: { message, type: typeForStatus(status), param: null, code: status === 404 ? 'route_not_found' : null } } };
    }
    if (isBodyParserError(exception)) return this.bodyParserError(exception);
    this.logger.error(`unhandled error on ${req.method} ${req.path} (request ${String(req.headers['x-request-id'] ?? '-')})`, exception instanceof Error ? exception.stack : String(exception));
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      body: { error: { message: 'Tollgate hit an internal error; the request id in x-request-id identifies it in our logs. Retrying may help.', type: 'server_error', param: null, code: 'internal_error' } },
    };
  }

  private bodyParserError(error: BodyParserError): { status: number; body: OpenAiErrorBody } {
    if (error.type === 'entity.too.large') {
      return {
        status: HttpStatus.PAYLOAD_TOO_LARGE,
        body: { error: { message: `Request body is larger than the limit of ${error.limit ?? 'the configured'} bytes.`, type: 'invalid_request_error', param: null, code: 'request_too_large' } },
      };
    }
    if (error.type === 'entity.parse.failed') {
      return {
        status: HttpStatus.BAD_REQUEST,
        body: { error: { message: 'We could not parse the JSON body of your request. Send valid JSON with Content-Type: application/json.', type: 'invalid_request_error', param: null, code: 'invalid_json' } },
      };
    }
    const status = error.status ?? error.statusCode ?? 400;
    return { status: status >= 500 ? 400 : status, body: { error: { message: `Could not read the request body (${error.type}).`, type: 'invalid_request_error', param: null, code: 'invalid_body' } } };
  }
}
