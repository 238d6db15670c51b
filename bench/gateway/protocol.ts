/** Messages between the benchmark's orchestrator (main.ts) and the processes it forks. */

/** Sent once by the upstream, the floor proxy and the OTLP sink when they accept connections. */
export interface ListeningMessage {
  type: 'listening';
  port: number;
}

/** One open-loop run at a fixed rate against one target, as the load generator receives it. */
export interface LoadJob {
  type: 'job';
  id: number;
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  stream: boolean;
  ratePerSecond: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Keep-alive connections the generator may open to this origin. */
  connections: number;
  /** A request still unanswered this long after its scheduled time counts as an error. */
  timeoutMs: number;
  /** When set, latency percentiles are also reported per window of this many seconds. */
  windowSeconds?: number;
  /** Return every measured request's latency too (LoadResult.samples), to pool rounds (rounds.ts). */
  keepSamples?: boolean;
}

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface LoadResult {
  type: 'result';
  id: number;
  /** Requests scheduled in the measured window (after warm-up). */
  scheduled: number;
  ok: number;
  errors: number;
  /** Up to five distinct error descriptions, for the report. */
  errorSamples: string[];
  /** From each request's scheduled send time to its last body byte, in ms. */
  latency: Percentiles;
  /** Streams only: from the scheduled send time to the first body byte, in ms. */
  firstByte?: Percentiles;
  /** How late the generator dispatched requests against their schedule, in ms (its own health). */
  sendLag: Percentiles;
  /** Highest number of requests in flight at once. */
  maxInFlight: number;
  /** Requests that found every allowed connection busy and waited in the pool's queue. */
  queued: number;
  /** Connections opened during the measured window (0 means keep-alive held). */
  connectionsOpened: number;
  /** Completed measured requests per second of measured window. */
  achievedRate: number;
  /** Generator process CPU during the measured window, as a share of one core. */
  generatorCpuShare: number;
  windows?: Array<{ startSecond: number; latency: Percentiles; errors: number }>;
  /** With LoadJob.keepSamples: each measured request's latency in ms, in schedule order (NaN: failed). */
  samples?: number[];
  /** With LoadJob.keepSamples: when the first measured request was scheduled, ms since the epoch (sample i was scheduled 1000 × i / rate ms later). */
  samplesStartEpochMs?: number;
  /** Streams with LoadJob.keepSamples: each measured request's first-byte time in ms, in schedule order (NaN: none). */
  firstByteSamples?: number[];
}

/** Sent by the generator when the first measured (post-warm-up) request is due. */
export interface MeasuringMessage {
  type: 'measuring';
  id: number;
}

export type GeneratorMessage = LoadResult | MeasuringMessage;
