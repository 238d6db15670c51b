import type { ApiDefinition } from '../api';
import { ApiKey, ErrorCode, NODE_ID } from '../protocol';
import { WireWriter } from '../wire';

/**
 * FindCoordinator v1 => key key_type
 * Response => throttle_time_ms error_code error_message node_id host port
 * One node: it coordinates every group (and would every transaction, were they supported).
 */
export const findCoordinator: ApiDefinition = {
  key: ApiKey.FindCoordinator,
  name: 'FindCoordinator',
  minVersion: 1,
  maxVersion: 1,
  handle(request, { broker }) {
    request.string(); // the group id
    request.int8(); // key type: 0 group, 1 transaction
    return new WireWriter().int32(0).int16(ErrorCode.NONE).nullableString(null).int32(NODE_ID).string(broker.host).int32(broker.port);
  },
};
