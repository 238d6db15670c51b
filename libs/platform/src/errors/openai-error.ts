import { HttpException, HttpStatus } from '@nestjs/common';
import type { OpenAiErrorBody, OpenAiErrorType } from '@tollgate/contracts';

/** An error a client sees, already in OpenAI's shape. */
export class OpenAiHttpError extends HttpException {
  /** Response headers the error adds (e.g. `x-should-retry`), set by OpenAiExceptionFilter. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, type: OpenAiErrorType, message: string, options: { param?: string | null; code?: string | null; headers?: Record<string, string> } = {}) {
    const body: OpenAiErrorBody = { error: { message, type, param: options.param ?? null, code: options.code ?? null } };
    super(body, status);
    this.headers = options.headers ?? {};
  }

  static invalidRequest(message: string, param: string | null = null, code: string | null = null): OpenAiHttpError {
    return new OpenAiHttpError(HttpStatus.BAD_REQUEST, 'invalid_request_error', message, { param, code });
  }

  static unauthorized(message: string, code = 'invalid_api_key'): OpenAiHttpError {
    return new OpenAiHttpError(HttpStatus.UNAUTHORIZED, 'authentication_error', message, { code });
  }

  /** The body is over the configured limit (TOLLGATE_MAX_BODY_BYTES): 413, not a 5xx. */
  static bodyTooLarge(limit: number | undefined): OpenAiHttpError {
    return new OpenAiHttpError(HttpStatus.PAYLOAD_TOO_LARGE, 'invalid_request_error', `Request body is larger than the limit of ${limit ?? 'the configured'} bytes.`, { code: 'request_too_large' });
  }

  static invalidJson(): OpenAiHttpError {
    return OpenAiHttpError.invalidRequest('We could not parse the JSON body of your request. Send valid JSON with Content-Type: application/json.', null, 'invalid_json');
  }

  static notFound(message: string, param: string | null = null, code: string | null = null): OpenAiHttpError {
    return new OpenAiHttpError(HttpStatus.NOT_FOUND, 'not_found_error', message, { param, code });
  }
}

export function isOpenAiErrorBody(value: unknown): value is OpenAiErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === 'object' && error !== null && 'message' in error && 'type' in error;
}
