import type { ApiDefinition } from '../api';
import { ApiKey, ErrorCode } from '../protocol';
import { WireWriter } from '../wire';

/**
 * InitProducerId v0-v1 (same layout) => transactional_id transaction_timeout_ms
 * Response => throttle_time_ms error_code producer_id producer_epoch
 * For the idempotent producer. A transactional id gets an id too, but transactions go no further:
 * AddPartitionsToTxn and EndTxn are not advertised, so kafkajs refuses to start one.
 */
export const initProducerId: ApiDefinition = {
  key: ApiKey.InitProducerId,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 1,
  handle(request, { broker }) {
    const transactionalId = request.nullableString();
    request.int32(); // transaction timeout
    if (transactionalId !== null) broker.log(`InitProducerId for transactional id '${transactionalId}': transactions are not supported by the test broker`);
    const { producerId, producerEpoch } = broker.producers.newProducerId();
    return new WireWriter().int32(0).int16(ErrorCode.NONE).int64(producerId).int16(producerEpoch);
  },
};
