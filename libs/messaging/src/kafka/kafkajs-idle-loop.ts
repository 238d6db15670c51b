/**
 * kafkajs 2.2.4, its last release, re-arms a timer on every broker connection whenever its
 * request queue has nothing pending and is not throttled: `throttledUntil` is -1, so the delay is
 * negative, Node clamps it to 1 ms (printing TimeoutNegativeWarning on Node 24), and the callback
 * schedules the next one. Each producer and consumer connection wakes the process a thousand
 * times a second for nothing: an idle gateway service burned about 6% of a core on it (measured
 * with /proc, see bench/gateway), and every busy one pays it on top of its work. Reported as
 * tulios/kafkajs#1704, #1556 and #1604; the fix proposed in #1667 (not merged, the project is
 * unmaintained) is to schedule only when something is pending or the queue is throttled.
 * This applies that fix to kafkajs' RequestQueue: with nothing pending a new request is sent at
 * once, or queued and scheduled by `push`, and a finished request checks the queue itself, so
 * the idle timer did no work.
 */

interface RequestQueueLike {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: unknown;
  scheduleCheckPendingRequests(): void;
}

const PATCHED = Symbol.for('tollgate.kafkajs.idleLoopPatched');

export function patchKafkajsIdleLoop(): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs has no public handle on its request queue
  const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueLike & { [PATCHED]?: true } };
  const proto = RequestQueue.prototype;
  if (proto[PATCHED]) return false;
  const original = proto.scheduleCheckPendingRequests;
  proto.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueLike): void {
    if (this.pending.length === 0 && !this.throttleCheckTimeoutId && this.throttledUntil - Date.now() <= 0) return;
    original.call(this);
  };
  proto[PATCHED] = true;
  return true;
}
