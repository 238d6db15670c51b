/**
 * OpenAI's error object, the shape of every error on `/v1/*` and, for consistency, on
 * Tollgate's own `/api/v1/*` routes too.
 */
export interface OpenAiErrorBody {
  error: {
    message: string;
    type: OpenAiErrorType;
    param: string | null;
    code: string | null;
  };
}

export type OpenAiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'api_error'
  | 'server_error';
