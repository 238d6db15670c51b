import type { ApiDefinition } from '../api';
import { ApiKey, ErrorCode } from '../protocol';
import type { ErrorCodeValue } from '../protocol';
import { WireWriter } from '../wire';

/** ApiVersions v0-v2 => error_code [api_key min_version max_version] throttle_time_ms (v1+). */
export const apiVersions: ApiDefinition = {
  key: ApiKey.ApiVersions,
  name: 'ApiVersions',
  minVersion: 0,
  maxVersion: 2,
  handle(_request, { apiVersion, broker }) {
    return apiVersionsResponse(broker.supportedApis, ErrorCode.NONE, apiVersion >= 1);
  },
};

/**
 * Also the answer to an ApiVersions version this broker does not know: Kafka replies in the v0
 * layout with UNSUPPORTED_VERSION and its list, and clients retry with a version from the list.
 */
export function apiVersionsResponse(apis: readonly ApiDefinition[], errorCode: ErrorCodeValue, withThrottleTime: boolean): WireWriter {
  const body = new WireWriter()
    .int16(errorCode)
    .array(apis, (writer, api) => writer.int16(api.key).int16(api.minVersion).int16(api.maxVersion));
  return withThrottleTime ? body.int32(0) : body;
}
