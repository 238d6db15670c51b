import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { request } from 'undici';
import { ulid } from 'ulid';
import { summarizeCpuProfile } from './cpu-profile';
import { readChartGatewayNodeFlags, readChartGatewaySamplingRatio } from './deployed-flags';
import { HeldRateSearch, medianOutcome, runSearchesInTurn } from './held-rate-search';
import type { HeldRateOutcome } from './held-rate-search';
import {
  cpuSeconds,
  descendantsCpuSeconds,
  forkServer,
  forkWorker,
  freePort,
  REMOTE_STAND_IN_NICE,
  RssSampler,
  settle,
  spawnNode,
  stopAll,
  stopProcess,
} from './processes';
import type { FloorWorkStats } from './floor-work';
import type { BenchProcess } from './processes';
import type { GeneratorMessage, LoadJob, LoadResult } from './protocol';
import { collectAndMeasure } from './inspector';
import type { MemoryAfterCollection } from './inspector';
import { describeMachine, latencyVerdicts, mb, memoryVerdict, renderLatencySection, renderSoakSection, workFloorComparisons, writeSection } from './report';
import type { FixedRateRun, LatencyRun, StreamRun, TargetName, TargetReport } from './report';
import { poolRounds } from './rounds';

/**
 * `npm run bench:gateway`: the gateway's overhead against a floor proxy and the upstream itself,
 * under open-loop load, and the issue's targets as ratios from one run (docs/benchmarks.md).
 * `--soak 300` instead runs the gateway alone for that long and judges whether its RSS stays flat:
 * RSS after a full collection (through the gateway's inspector) at the end against the start.
 */

const REPO_ROOT = resolve(__dirname, '../..'); // dist/bench-gateway
const ALL_IN_ONE_MAIN = 'dist/apps/all-in-one/src/main.js';
const GATEWAY_SERVICE_MAIN = 'dist/services/gateway/src/main.js';
const LLM_CALL_TOPIC = 'tollgate.llm.call.v1';
const API_KEY_TOPIC = 'tollgate.governance.apikey.v1';
const BENCH_TENANT = 'bench-tenant';
const CHAT_PATH = '/v1/chat/completions';
const PUBLIC_MODEL = 'bench/model';
const P99_LIMIT_MS = 20;
const REQUEST_TIMEOUT_MS = 10_000;
/** A p99 this far past the limit means the target is saturated: higher fixed rates would only grow its queue. */
const SATURATED_P99_MS = 10 * P99_LIMIT_MS;
/** Longest wait for a target to go idle between measurements. */
const SETTLE_MAX_MS = 30_000;

const USAGE = `Usage: npm run bench:gateway -- [options]

  --quick                 about a minute: short windows, fewer search probes (a smoke run)
  --rates 200,500,1000,2000   fixed rates, req/s
  --duration <s>          measured seconds per rate (default 8, quick 2)
  --rounds <n>            measured rounds at the rate nearest 1,000 req/s, the targets interleaved
                          in each; every round's requests are pooled into that rate's figures
                          (default 3, quick 1)
  --warmup <s>            unmeasured seconds before each measurement (default 2, quick 0.5; soak 60)
  --initial-warmup <s>    unmeasured load per target at the reference rate (nearest 1,000 req/s) before
                          the first rate, and again streaming before the streaming run (JIT warm-up,
                          past V8's TurboFan tier-up; default 20, quick 3)
  --search-duration <s>   measured seconds per held-rate probe (default 3, quick 1.5)
  --searches <n>          held-rate searches of the floor and the gateway, each from the fixed rates
                          afresh; each target's figure is their median (default 3, quick 1; the
                          upstream, which no target judges, is searched once)
  --stream-rate <n,...>   req/s of the streaming first-byte runs (default 100 and the reference rate,
                          nearest 1,000 req/s), each measured in --rounds rounds, the targets
                          interleaved, pooled; the first-byte target is judged at each
  --stream-only           only the streaming first-byte runs, after their JIT warm-up (diagnosis)
  --gateway service|all-in-one   the gateway service as it runs in production (its own process,
                          events to Kafka: the project's Kafka-protocol test broker in another
                          process; default), or the all-in-one app (in-process bus, cost-ledger
                          and embedded Postgres in the same process)
  --node-flags chart|none the gateway service's Node/V8 flags: the Helm chart's gateway.nodeFlags, as
                          deployed (default), or none (V8's own heap sizing, for comparison)
  --otel export|spans|off gateway tracing: OTLP export to a local sink (default), spans without
                          export (OTEL_TRACES_EXPORTER=none), or the SDK disabled (diagnosis only)
  --sampling <ratio>      share of traces the gateway samples (parentbased_traceidratio), 0 to 1;
                          default: the ratio the Helm chart gives the gateway (gateway.otel.samplerArg,
                          or global.otel.samplerArg where that is null); 1 samples all
  --targets upstream,floor,gateway   which to measure (default all three, which the
                          issue's targets need; a subset is for diagnosis). Add work-floor for
                          the floor that also does the issue's per-call work (an llm.call event on
                          the gateway's Kafka broker, a span, two metrics: floor-work.ts), a
                          reference the report compares the gateway with; it is not judged
  --connections <n>       keep-alive connections the generator may open per target (default 512)
  --profile               also write a V8 CPU profile of the gateway (node --cpu-prof, into
                          dist/bench-gateway/profiles/) and print where its time went; the
                          profiler costs a little, so the run's numbers are marked as profiled
  --soak <s>              instead: the gateway alone at --soak-rate for <s> seconds, RSS every 5 s;
                          judged on RSS after a full collection at the end against the start
  --soak-rate <n>         req/s of the soak (default 500)
  --output <file>         where the tables go (default docs/benchmarks.md); --no-docs to skip

Diagnosis (environment): BENCH_GATEWAY_NODE_FLAGS="--trace-gc" adds node flags to the gateway
process; BENCH_GATEWAY_ENV="OTEL_BSP_MAX_EXPORT_BATCH_SIZE=64 ..." adds variables to it; BENCH_PROCESS_LOG=/tmp/bench appends each process's output to /tmp/bench.<name>;
BENCH_SAMPLES_OUT=/tmp/samples.jsonl appends every latency of each fixed-rate run, in schedule order, per target, rate and round, with when the first was scheduled (alternate.js reads it).
`;

interface Options {
  quick: boolean;
  targets: TargetName[];
  rates: number[];
  durationSeconds: number;
  /** Measured rounds at the reference rate (the rate nearest 1,000 req/s), pooled. */
  rounds: number;
  warmupSeconds: number;
  /** Unmeasured load per target at the reference rate before its first measurement, plain and then streaming (JIT warm-up). */
  jitWarmupSeconds: number;
  searchSeconds: number;
  searchProbes: number;
  /** Held-rate searches of the judged targets (floor, gateway); each one's figure is their median. */
  searches: number;
  /** Only the streaming first-byte measurement (diagnosis): no fixed rates, no held-rate search. */
  streamOnly: boolean;
  /** Rates of the streaming first-byte runs; undefined: 100 req/s and the reference rate. */
  streamRates: number[] | undefined;
  otel: 'export' | 'spans' | 'off';
  /** Start the gateway service with the chart's gateway.nodeFlags (as deployed). */
  chartNodeFlags: boolean;
  /** OTEL_TRACES_SAMPLER_ARG of the gateway's parentbased_traceidratio sampler. */
  sampling: number;
  /** The ratio the Helm chart gives the gateway (what an install without a profile samples). */
  chartSampling: number;
  gateway: 'service' | 'all-in-one';
  /** Directory for the gateway's .cpuprofile, when profiling. */
  profileDir: string | undefined;
  connections: number;
  soakSeconds: number | undefined;
  soakRate: number;
  soakWarmupSeconds: number;
  output: string | undefined;
  command: string;
}

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got "${text}"`);
  return value;
}

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      rates: { type: 'string' },
      targets: { type: 'string', default: 'upstream,floor,gateway' },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      'initial-warmup': { type: 'string' },
      'search-duration': { type: 'string' },
      searches: { type: 'string' },
      'stream-rate': { type: 'string' },
      otel: { type: 'string', default: 'export' },
      'node-flags': { type: 'string', default: 'chart' },
      sampling: { type: 'string' },
      gateway: { type: 'string', default: 'service' },
      connections: { type: 'string' },
      soak: { type: 'string' },
      'soak-rate': { type: 'string' },
      output: { type: 'string', default: 'docs/benchmarks.md' },
      'no-docs': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      'stream-only': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return undefined;
  if (!['export', 'spans', 'off'].includes(values.otel)) throw new Error(`--otel must be export, spans or off, got "${values.otel}"`);
  if (!['chart', 'none'].includes(values['node-flags'])) throw new Error(`--node-flags must be chart or none, got "${values['node-flags']}"`);
  if (!['service', 'all-in-one'].includes(values.gateway)) throw new Error(`--gateway must be service or all-in-one, got "${values.gateway}"`);
  const chartSampling = readChartGatewaySamplingRatio(REPO_ROOT);
  const sampling = values.sampling === undefined ? chartSampling : Number(values.sampling);
  if (!Number.isFinite(sampling) || sampling < 0 || sampling > 1) throw new Error(`--sampling must be a ratio from 0 to 1, got "${values.sampling}"`);
  const quick = values.quick;
  const targets = values.targets.split(',').map((name) => name.trim());
  const unknown = targets.filter((name) => !['upstream', 'floor', 'work-floor', 'gateway'].includes(name));
  if (unknown.length > 0 || targets.length === 0) throw new Error(`--targets takes upstream, floor, work-floor and/or gateway, got "${values.targets}"`);
  if (targets.includes('work-floor') && (!targets.includes('gateway') || values.gateway === 'all-in-one')) {
    throw new Error('--targets work-floor needs the gateway service as a target too: it publishes to the same Kafka broker');
  }
  const rates = (values.rates ?? '200,500,1000,2000').split(',').map((rate) => positive('rates', rate.trim(), 0));
  return {
    quick,
    targets: targets as TargetName[],
    rates,
    durationSeconds: positive('duration', values.duration, quick ? 2 : 8),
    rounds: Math.round(positive('rounds', values.rounds, quick ? 1 : 3)),
    warmupSeconds: positive('warmup', values.warmup, quick ? 0.5 : 2),
    jitWarmupSeconds: positive('initial-warmup', values['initial-warmup'], quick ? 3 : 20),
    searchSeconds: positive('search-duration', values['search-duration'], quick ? 1.5 : 3),
    searchProbes: quick ? 4 : 10,
    searches: Math.round(positive('searches', values.searches, quick ? 1 : 3)),
    streamOnly: values['stream-only'],
    streamRates: values['stream-rate']?.split(',').map((rate) => positive('stream-rate', rate.trim(), 0)),
    otel: values.otel as Options['otel'],
    chartNodeFlags: values['node-flags'] === 'chart',
    sampling,
    chartSampling,
    gateway: values.gateway as Options['gateway'],
    profileDir: values.profile ? join(REPO_ROOT, 'dist/bench-gateway/profiles') : undefined,
    connections: Math.round(positive('connections', values.connections, 512)),
    soakSeconds: values.soak === undefined ? undefined : positive('soak', values.soak, 300),
    soakRate: positive('soak-rate', values['soak-rate'], 500),
    // A minute: the gateway's RSS takes a one-time step of 7–12 MB outside the JS heap in its first
    // minute under load. After a 10 s warm-up every soak measured +3.7 to +4.0% (5 and 10 minutes
    // alike, the heap a little smaller); after 60 s, +0.7% (docs/benchmarks.md, eleventh session).
    soakWarmupSeconds: positive('warmup', values.warmup, 60),
    output: values['no-docs'] ? undefined : resolve(REPO_ROOT, values.output),
    command: ['npm run bench:gateway', ...(argv.length ? ['--', ...argv] : [])].join(' '),
  };
}

const startedMs = Date.now();
function log(message: string): void {
  console.log(`[${((Date.now() - startedMs) / 1000).toFixed(0).padStart(4)}s] ${message}`);
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

function chatBody(stream: boolean): string {
  return JSON.stringify({
    model: PUBLIC_MODEL,
    messages: [{ role: 'user', content: 'Say hello in one short sentence.' }],
    max_tokens: 32,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const response = await request(url, { headers, headersTimeout: 5_000, bodyTimeout: 5_000 });
  const text = await response.body.text();
  try {
    return { status: response.statusCode, body: JSON.parse(text) as unknown };
  } catch {
    return { status: response.statusCode, body: text };
  }
}

/** One whole call; undefined when it is a complete, successful reply, else what was wrong. */
async function probeCall(origin: string, headers: Record<string, string>, stream: boolean): Promise<string | undefined> {
  try {
    const response = await request(origin + CHAT_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: chatBody(stream),
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) return `HTTP ${response.statusCode}: ${text.slice(0, 400)}`;
    if (stream ? !text.includes('data: [DONE]') : !text.includes('"usage"')) return `an incomplete reply: ${text.slice(0, 400)}`;
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Talks to the load generator process: one job at a time, results over IPC. */
class LoadGenerator {
  private nextId = 1;

  constructor(readonly process: BenchProcess) {}

  run(job: Omit<LoadJob, 'type' | 'id'>, onMeasuring?: () => void): Promise<LoadResult> {
    const id = this.nextId++;
    const { child } = this.process;
    return new Promise<LoadResult>((resolveResult, reject) => {
      const onMessage = (message: GeneratorMessage): void => {
        if (message.id !== id) return;
        if (message.type === 'measuring') return onMeasuring?.();
        child.off('exit', onExit);
        child.off('message', onMessage);
        resolveResult(message);
      };
      const onExit = (): void => reject(new Error('the load generator exited'));
      if (!child.connected) return reject(new Error('the load generator is gone'));
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ ...job, type: 'job', id } satisfies LoadJob, (error) => {
        if (error) reject(error);
      });
    });
  }
}

interface Target {
  name: TargetName;
  origin: string;
  headers: Record<string, string>;
  process: BenchProcess;
  /** Also count its child processes' CPU (the gateway's embedded Postgres). */
  withChildren: boolean;
}

interface Gateway {
  target: Target;
  dataDir: string;
  key: string;
  otlpSink: string | undefined;
  /** The Kafka brokers the gateway service publishes to (service mode). */
  brokers?: string[];
  /** The Helm chart's gateway.nodeFlags it was started with (service mode with --node-flags chart). */
  chartFlags: string[];
  /** The gateway's inspector (soak runs only: full collections at the soak's start and end). */
  inspectOrigin?: string;
}

/** The variables of the caller's shell that would point the gateway elsewhere than this run wants. */
function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(TOLLGATE_|OTEL_|LANGFUSE_|KAFKA_)|^(DATABASE_URL|REDIS_URL|PORT|HOST|LOG_LEVEL)$/.test(name)) continue;
    env[name] = value;
  }
  return env;
}

/** The sampler the Helm chart sets (global.otel.sampler), at the run's ratio. */
function otelEnv(mode: Options['otel'], sampling: number, sink: string | undefined): Record<string, string> {
  if (mode === 'off') return { OTEL_SDK_DISABLED: 'true' };
  const sampler = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: String(sampling) };
  if (mode === 'spans' || !sink) return { ...sampler, OTEL_TRACES_EXPORTER: 'none' };
  return { ...sampler, OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_ENDPOINT: sink };
}

/** BENCH_GATEWAY_ENV="NAME=value NAME=value": variables for the gateway process (diagnosis, e.g. OTEL_BSP_*). */
function extraGatewayEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of process.env['BENCH_GATEWAY_ENV']?.split(' ').filter(Boolean) ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`BENCH_GATEWAY_ENV takes NAME=value pairs, got "${pair}"`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}

const temporaryDirs: string[] = [];

/** Publishes the bench tenant's API-key snapshot, as guardrails would, so the gateway can authenticate the bench key. */
async function publishKeySnapshot(brokers: string[], key: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-gateway', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  try {
    const snapshot = {
      id: ulid(),
      occurredAt: new Date().toISOString(),
      tenantId: BENCH_TENANT,
      type: 'governance.apikey',
      version: 1,
      tenant: { name: 'Bench', plan: 'pro', region: 'global', privacyMode: 'metadata', active: true },
      keys: [{ id: 'bench-key', hash: createHash('sha256').update(key).digest('hex'), prefix: key.slice(0, 8), userId: 'bench-user', active: true, expiresAt: null }],
    };
    await producer.send({
      topic: API_KEY_TOPIC,
      messages: [{ key: BENCH_TENANT, value: JSON.stringify(snapshot), headers: { 'tollgate-event-type': 'governance.apikey', 'tollgate-event-version': '1' } }],
    });
  } finally {
    await producer.disconnect();
  }
}

/** llm.call events on the bus so far (the topic's end offsets), or undefined when unreadable. */
async function llmCallEventsOnBus(brokers: string[]): Promise<number | undefined> {
  // No retries: while no event was ever published the topic does not exist, and kafkajs' retries of
  // that metadata request (seconds each) turned eventsFlow's ten-second check into six minutes.
  const admin = new Kafka({ clientId: 'bench-gateway-admin', brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1_000, requestTimeout: 2_000 }).admin();
  try {
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(LLM_CALL_TOPIC);
    return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
  } catch {
    return undefined;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Starts the gateway routed to the bench upstream; a string says why it could not be benchmarked.
 * `service`: the gateway service alone (as in production), publishing to Kafka (the test broker in
 * a process of its own), its API key from a snapshot on the governance topic. `all-in-one`: the
 * all-in-one app (in-process bus, cost-ledger and embedded Postgres in the same process).
 */
async function startGateway(upstreamOrigin: string, otlpSink: string | undefined, options: Options): Promise<Gateway | string> {
  const mainFile = options.gateway === 'service' ? GATEWAY_SERVICE_MAIN : ALL_IN_ONE_MAIN;
  const main = join(REPO_ROOT, mainFile);
  if (!existsSync(main)) return `${mainFile} does not exist: run \`npm run build\` first`;
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-bench-gateway-'));
  temporaryDirs.push(dataDir);
  // mkdtemp makes it 0700; run as root, embedded Postgres runs as "postgres" and must traverse it.
  chmodSync(dataDir, 0o711);
  const key = `tg-bench-${randomBytes(16).toString('hex')}`;
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const deployment = {
    id: 'bench-upstream',
    provider: 'openai-compatible',
    publicModel: PUBLIC_MODEL,
    model: 'bench-model',
    baseUrl: `${upstreamOrigin}/v1`,
    apiKeyEnv: 'BENCH_UPSTREAM_KEY',
    region: 'global',
  };
  let busEnv: Record<string, string>;
  let brokers: string[] | undefined;
  if (options.gateway === 'service') {
    const broker = await forkServer('Kafka test broker', 'kafka-broker.js', {}, REMOTE_STAND_IN_NICE);
    brokers = [broker.origin.replace('http://', '')];
    await publishKeySnapshot(brokers, key);
    busEnv = { TOLLGATE_BUS: 'kafka', KAFKA_BROKERS: brokers.join(','), KAFKA_CLIENT_ID: 'bench-gateway' };
  } else {
    busEnv = { TOLLGATE_BOOTSTRAP_KEY: key };
  }
  const profiling = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
  const inspectPort = options.soakSeconds === undefined ? undefined : await freePort();
  const inspecting = inspectPort === undefined ? [] : [`--inspect=127.0.0.1:${inspectPort}`];
  if (options.profileDir) mkdirSync(options.profileDir, { recursive: true });
  // The service as the chart runs it; the all-in-one app is not deployed by the chart.
  const chartFlags = options.gateway === 'service' && options.chartNodeFlags ? readChartGatewayNodeFlags(REPO_ROOT) : [];
  const gateway = spawnNode('gateway', ['--enable-source-maps', ...chartFlags, ...profiling, ...inspecting, ...(process.env['BENCH_GATEWAY_NODE_FLAGS']?.split(' ').filter(Boolean) ?? []), main], {
    cwd: REPO_ROOT,
    env: {
      ...inheritedEnv(),
      PORT: String(port),
      HOST: '127.0.0.1',
      TOLLGATE_DATA_DIR: dataDir,
      TOLLGATE_SHUTDOWN_TIMEOUT_MS: '3000',
      TOLLGATE_DEPLOYMENTS: JSON.stringify([deployment]),
      BENCH_UPSTREAM_KEY: 'bench-upstream-key',
      LOG_LEVEL: 'warn',
      ...busEnv,
      ...otelEnv(options.otel, options.sampling, otlpSink),
      ...extraGatewayEnv(),
    },
  });
  const giveUp = async (reason: string): Promise<string> => {
    const output = gateway.output();
    await stopProcess(gateway);
    return `${reason}${output ? `. Its last output:\n${output}` : ''}`;
  };

  // Embedded Postgres starts (and on a fresh data dir, initialises) first: allow for a loaded machine.
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (gateway.hasExited()) return giveUp('the gateway exited before it was ready');
    if (Date.now() > deadline) return giveUp('GET /readyz did not answer 200 within 120 s');
    const ready = await getJson(`${origin}/readyz`).catch(() => undefined);
    if (ready?.status === 200) break;
    await sleep(250);
  }

  const headers = { authorization: `Bearer ${key}`, 'x-tollgate-agent-id': 'bench' };
  const before = (await getJson(`${upstreamOrigin}/_bench/stats`)).body as { completions: number };
  const problem = await probeCall(origin, headers, false);
  if (problem) return giveUp(`a call for model "${PUBLIC_MODEL}" failed (is TOLLGATE_DEPLOYMENTS routing in place?): ${problem}`);
  const after = (await getJson(`${upstreamOrigin}/_bench/stats`)).body as { completions: number };
  if (after.completions <= before.completions) return giveUp(`the gateway answered "${PUBLIC_MODEL}" without calling the bench upstream`);
  const inspect = inspectPort === undefined ? {} : { inspectOrigin: `http://127.0.0.1:${inspectPort}` };
  return { target: { name: 'gateway', origin, headers, process: gateway, withChildren: options.gateway === 'all-in-one' }, dataDir, key, otlpSink, brokers, chartFlags, ...inspect };
}

/** How long eventsFlow looks for the first event before the report says none was seen. */
const EVENTS_FLOW_WITHIN_MS = 10_000;

/** Proof that llm.call events flow: cost rows (all-in-one) or events on the Kafka topic (service). */
async function eventsFlow(gateway: Gateway): Promise<boolean> {
  const deadline = Date.now() + EVENTS_FLOW_WITHIN_MS;
  while (Date.now() < deadline) {
    if (gateway.brokers) {
      if (((await llmCallEventsOnBus(gateway.brokers)) ?? 0) > 0) return true;
    } else {
      const rows = await getJson(`${gateway.target.origin}/api/v1/cost-logs?limit=1`, gateway.target.headers).catch(() => undefined);
      if (rows?.status === 200 && ((rows.body as { data?: unknown[] }).data?.length ?? 0) > 0) return true;
    }
    await sleep(250);
  }
  return false;
}

function percent(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(3))}%`;
}

async function describeGateway(gateway: Gateway, options: Options, costRows: boolean): Promise<string> {
  let telemetry: string;
  if (options.otel === 'off') telemetry = 'OpenTelemetry **disabled** (OTEL_SDK_DISABLED=true, a diagnosis run)';
  else if (options.otel === 'spans') telemetry = `OpenTelemetry spans created at ${percent(options.sampling)} sampling but not exported (OTEL_TRACES_EXPORTER=none)`;
  else {
    const sink = gateway.otlpSink ? ((await getJson(`${gateway.otlpSink}/_bench/stats`).catch(() => undefined))?.body as { requests: number; bytes: number } | undefined) : undefined;
    telemetry =
      `OpenTelemetry tracing at ${percent(options.sampling)} sampling (parentbased_traceidratio${options.sampling === options.chartSampling ? ', the Helm chart\'s default for the gateway, gateway.otel.samplerArg' : ''}), spans exported over OTLP/HTTP protobuf to a local sink process at nice ${REMOTE_STAND_IN_NICE} (a stand-in for a collector on another machine` +
      (sink ? `; ${sink.requests} exports, ${(sink.bytes / 2 ** 20).toFixed(1)} MB received)` : ')');
  }
  const profiled = options.profileDir ? ' **Profiled run** (node --cpu-prof on the gateway): its figures carry the profiler\'s cost.' : '';
  const common =
    `API-key auth, routing of \`${PUBLIC_MODEL}\` to one \`openai-compatible\` deployment (the bench upstream, via TOLLGATE_DEPLOYMENTS), ` +
    `budget admission (no budget set for the bench tenant), \`x-tollgate-agent-id\` attribution, ${telemetry}, LOG_LEVEL=warn`;
  if (gateway.brokers) {
    const { chartFlags } = gateway;
    const flagNote = !options.chartNodeFlags ? "**without the Helm chart's gateway.nodeFlags** (--node-flags none), " : chartFlags.length > 0 ? "the flags of the Helm chart's gateway.nodeFlags, " : '';
    const events = await llmCallEventsOnBus(gateway.brokers);
    return (
      `the gateway service as deployed (\`node --enable-source-maps ${chartFlags.map((flag) => `${flag} `).join('')}${GATEWAY_SERVICE_MAIN}\`, ${flagNote}` +
      `built from this tree, its own process) with ` +
      `${common}; \`llm.call\` events published over kafkajs to Kafka (the project's Kafka-protocol test broker, in a process of its own at nice ${REMOTE_STAND_IN_NICE}, as a stand-in for a cluster on other machines; ` +
      `${events === undefined ? 'event count unreadable' : `${events.toLocaleString('en')} events on \`${LLM_CALL_TOPIC}\` at the end`}${costRows ? '' : ', **no event seen within 10 s**'}); ` +
      `its API key from a governance snapshot on the compacted topic, as guardrails publishes it.${profiled}`
    );
  }
  return (
    `the all-in-one app (\`node --enable-source-maps ${ALL_IN_ONE_MAIN}\`, built from this tree) with ${common}; ` +
    `\`llm.call\` events on the in-process bus into cost-ledger and its embedded Postgres in the same process ` +
    `(${costRows ? 'cost rows seen' : `**no cost row seen within ${EVENTS_FLOW_WITHIN_MS / 1000} s**`}).${profiled}`
  );
}

/** Stops the gateway so that node writes its --cpu-prof file, then says where its CPU went. */
async function profileNotes(options: Options, gateway: Gateway | string, since: Date): Promise<string[]> {
  if (!options.profileDir || typeof gateway === 'string') return [];
  await stopProcess(gateway.target.process);
  const newest = readdirSync(options.profileDir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => join(options.profileDir!, name))
    .filter((file) => statSync(file).mtimeMs >= since.getTime())
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (!newest) return ['gateway CPU profile: no .cpuprofile was written (did the gateway exit cleanly?)'];
  const summary = summarizeCpuProfile(newest, REPO_ROOT);
  const shares = (list: Array<{ name: string; share: number }>): string => list.map(({ name, share }) => `${name} ${(share * 100).toFixed(1)}%`).join(', ');
  return [
    `gateway CPU profile (whole run, \`${relative(REPO_ROOT, newest)}\`, ${summary.busySamples} busy samples), by owner (nearest package or repo folder on the stack): ${shares(summary.owners.slice(0, 12))}`,
    `gateway CPU profile, top functions by self time: ${shares(summary.functions.slice(0, 12))}`,
  ];
}

function jobFor(target: Target, rate: number, warmupSeconds: number, durationSeconds: number, stream: boolean, options: Options, keepSamples = false): Omit<LoadJob, 'type' | 'id'> {
  return {
    keepSamples,
    origin: target.origin,
    path: CHAT_PATH,
    headers: { 'content-type': 'application/json', ...target.headers },
    body: chatBody(stream),
    stream,
    ratePerSecond: rate,
    warmupSeconds,
    durationSeconds,
    connections: options.connections,
    timeoutMs: REQUEST_TIMEOUT_MS,
  };
}

const held = (result: LoadResult): boolean => result.errors === 0 && result.latency.p99 < P99_LIMIT_MS;

function summary(result: LoadResult): string {
  const errors = result.errors ? `, ${result.errors} errors (${result.errorSamples[0] ?? ''})` : '';
  return `p50 ${result.latency.p50.toFixed(2)} ms, p99 ${result.latency.p99.toFixed(2)} ms${errors}`;
}

async function measureFixedRate(generator: LoadGenerator, target: Target, rate: number, options: Options, round?: { index: number; of: number }): Promise<FixedRateRun> {
  const { pid } = target.process;
  let cpuBefore = NaN;
  let childrenBefore = NaN;
  const samplesOut = process.env['BENCH_SAMPLES_OUT'];
  const result = await generator.run(jobFor(target, rate, options.warmupSeconds, options.durationSeconds, false, options, round !== undefined || samplesOut !== undefined), () => {
    cpuBefore = cpuSeconds(pid);
    if (target.withChildren) childrenBefore = descendantsCpuSeconds(pid);
  });
  // Counting until it is idle again charges the work a call leaves behind (events, Postgres writes).
  await settle(pid, SETTLE_MAX_MS);
  const perRequest = (seconds: number): number => (seconds * 1e6) / Math.max(1, result.ok);
  const run: FixedRateRun = { rate, result, cpuUsPerRequest: perRequest(cpuSeconds(pid) - cpuBefore) };
  if (target.withChildren) run.childrenCpuUsPerRequest = perRequest(descendantsCpuSeconds(pid) - childrenBefore);
  const which = round && round.of > 1 ? ` (round ${round.index + 1} of ${round.of})` : '';
  if (samplesOut && result.samples) appendFileSync(samplesOut, `${JSON.stringify({ target: target.name, rate, round: round?.index, startEpochMs: result.samplesStartEpochMs, samples: result.samples })}\n`);
  log(`${target.name.padEnd(8)} ${String(rate).padStart(5)} req/s${which}: ${summary(result)}, CPU ${run.cpuUsPerRequest.toFixed(0)} µs/request`);
  return run;
}

/** One run for a target's rounds at a rate: pooled latencies, CPU per request over all of them, and each round's figures. */
function pooledRun(rate: number, rounds: FixedRateRun[]): FixedRateRun {
  const result = poolRounds(rounds.map((r) => r.result));
  const perRequest = (pick: (r: FixedRateRun) => number | undefined): number => rounds.reduce((sum, r) => sum + (pick(r) ?? 0) * r.result.ok, 0) / Math.max(1, result.ok);
  const run: FixedRateRun = {
    rate,
    result: { ...result, samples: undefined },
    cpuUsPerRequest: perRequest((r) => r.cpuUsPerRequest),
    rounds: rounds.map((r) => ({ latency: r.result.latency, errors: r.result.errors, cpuUsPerRequest: r.cpuUsPerRequest })),
  };
  if (rounds.some((r) => r.childrenCpuUsPerRequest !== undefined)) run.childrenCpuUsPerRequest = perRequest((r) => r.childrenCpuUsPerRequest);
  return run;
}

/** A target's streaming rounds at one rate as one run, like pooledRun (the pooled samples are not kept). */
function pooledStream(rate: number, rounds: LoadResult[]): StreamRun {
  const result = poolRounds(rounds);
  return {
    rate,
    result: { ...result, samples: undefined, firstByteSamples: undefined },
    rounds: rounds.map((r) => ({ firstByte: r.firstByte!, errors: r.errors })),
  };
}

/**
 * The highest rate each target holds (see HeldRateSearch), the targets' searches run in turn, one
 * probe each per round, so that all of them see the same stretch of this shared machine. The
 * floor and the gateway, whose ratio is judged, are searched `options.searches` times, each from
 * the fixed rates afresh, and their figure is the median (see medianOutcome for why); the
 * upstream, which no target judges, once.
 */
async function searchHighestHeld(generator: LoadGenerator, targets: Target[], reports: Map<TargetName, TargetReport>, options: Options): Promise<void> {
  const outcomes = new Map<Target, HeldRateOutcome[]>();
  for (let index = 0; index < options.searches; index++) {
    const searched = targets.filter((target) => !target.process.hasExited() && (index === 0 || target.name !== 'upstream'));
    const searches = new Map(
      searched.map((target) => [target, new HeldRateSearch(reports.get(target.name)!.fixed.map((run) => ({ rate: run.rate, held: held(run.result) })), options.searchProbes)]),
    );
    const of = options.searches > 1 ? ` ${index + 1} of ${options.searches}` : '';
    const probe = async (target: Target, rate: number): Promise<boolean> => {
      const result = await generator.run(jobFor(target, rate, Math.min(1, options.warmupSeconds), options.searchSeconds, false, options));
      await settle(target.process.pid, SETTLE_MAX_MS);
      reports.get(target.name)!.probes.push({ rate, held: held(result), result, search: index + 1 });
      log(`${target.name.padEnd(8)} ${String(rate).padStart(5)} req/s (search${of}): ${held(result) ? 'held' : 'missed'}, ${summary(result)}`);
      return held(result);
    };
    await runSearchesInTurn(searches, probe, (target) => target.process.hasExited());
    for (const [target, search] of searches) outcomes.set(target, [...(outcomes.get(target) ?? []), search.outcome()]);
  }
  for (const [target, found] of outcomes) {
    const report = reports.get(target.name)!;
    Object.assign(report, medianOutcome(found));
    if (found.length > 1) report.searches = found;
  }
}

/** The floor proxy doing the issue's per-call work too (floor-work.ts), on the gateway's broker and OTLP sink. */
async function startWorkFloor(upstreamOrigin: string, gateway: Gateway, options: Options): Promise<Target> {
  if (!gateway.brokers) throw new Error('--targets work-floor needs the gateway service (its Kafka broker)');
  const workFloor = await forkServer('work floor', 'floor-proxy.js', {
    BENCH_UPSTREAM_ORIGIN: upstreamOrigin,
    BENCH_FLOOR_WORK_BROKERS: gateway.brokers.join(','),
    ...otelEnv(options.otel, options.sampling, gateway.otlpSink),
  });
  const problem = (await probeCall(workFloor.origin, {}, false)) ?? (await probeCall(workFloor.origin, {}, true));
  if (problem) throw new Error(`the work floor does not answer as expected: ${problem}`);
  return { name: 'work-floor', origin: workFloor.origin, headers: {}, process: workFloor.process, withChildren: false };
}

/** What the work floor published, once its last batch is answered (or 5 s have passed). */
async function workFloorNote(workFloor: Target): Promise<string> {
  const deadline = Date.now() + 5_000;
  let stats: FloorWorkStats | undefined;
  for (;;) {
    stats = (await getJson(`${workFloor.origin}/_bench/work`).catch(() => undefined))?.body as FloorWorkStats | undefined;
    if (!stats || stats.eventsPending === 0 || Date.now() > deadline) break;
    await sleep(100);
  }
  if (!stats) return 'work floor: its event counts could not be read';
  return `work floor (parts: ${stats.parts.join(', ')}): ${stats.eventsAcknowledged.toLocaleString('en-US')} llm.call events acknowledged by the broker, ${stats.eventsFailed} failed, ${stats.eventsPending} unanswered at the end`;
}

async function runLatency(options: Options, generator: LoadGenerator, upstream: { process: BenchProcess; origin: string }, gateway: Gateway | string): Promise<void> {
  const machine = describeMachine(REPO_ROOT);
  const startedAt = new Date();
  const floor = await forkServer('floor proxy', 'floor-proxy.js', { BENCH_UPSTREAM_ORIGIN: upstream.origin });
  for (const origin of [upstream.origin, floor.origin]) {
    const problem = (await probeCall(origin, {}, false)) ?? (await probeCall(origin, {}, true));
    if (problem) throw new Error(`${origin} does not answer as expected: ${problem}`);
  }
  const targets: Target[] = [
    { name: 'upstream' as const, origin: upstream.origin, headers: {}, process: upstream.process, withChildren: false },
    { name: 'floor' as const, origin: floor.origin, headers: {}, process: floor.process, withChildren: false },
  ].filter((target) => options.targets.includes(target.name));
  let gatewaySkipped: string | undefined;
  let costRows = false;
  if (typeof gateway === 'string') {
    gatewaySkipped = gateway;
    log(`GATEWAY SKIPPED: ${gateway}`);
  } else {
    if (options.targets.includes('work-floor')) targets.push(await startWorkFloor(upstream.origin, gateway, options));
    targets.push(gateway.target);
    costRows = await eventsFlow(gateway);
  }
  const reports = new Map<TargetName, TargetReport>(targets.map((t) => [t.name, { name: t.name, fixed: [], probes: [], maxHeld: undefined, streams: [], rss: [] }]));
  const sampler = new RssSampler(targets.map((t) => ({ name: t.name, pid: t.process.pid })));
  sampler.start(1_000);
  const notes: string[] = [];
  const live = (): Target[] =>
    targets.filter((t) => {
      if (!t.process.hasExited()) return true;
      if (!notes.some((note) => note.startsWith(t.name))) notes.push(`${t.name} exited during the run; its later phases are missing. Last output: ${t.process.output().split('\n').slice(-3).join(' ')}`);
      return false;
    });

  const referenceRate = options.rates.reduce((best, rate) => (Math.abs(rate - 1000) < Math.abs(best - 1000) ? rate : best));
  // A fresh process runs its first thousands of calls before V8 has optimised the hot path: one
  // unmeasured run per target first, so the first fixed rate measures the same steady state as the
  // rest. At the reference rate, not the lowest: the gateway's wave of TurboFan compilations (~100
  // functions within half a second, single jobs up to ~100 ms on V8's worker threads, `--trace-opt`)
  // came about 10,000 calls in and stalled it for ~0.5 s.
  // Ten seconds at the lowest rate (2,000 calls) left that wave inside the measured rounds
  // (docs/benchmarks.md, fourteenth session).
  const jitWarmup = async (stream: boolean): Promise<void> => {
    for (const target of live()) {
      log(`${target.name.padEnd(8)} ${stream ? 'streaming ' : ''}JIT warm-up: ${options.jitWarmupSeconds} s at ${referenceRate} req/s, not measured`);
      await generator.run(jobFor(target, referenceRate, options.jitWarmupSeconds, 0.5, stream, options));
      await settle(target.process.pid, SETTLE_MAX_MS);
    }
  };
  if (!options.streamOnly) {
    await jitWarmup(false);
    log(
      `fixed rates ${options.rates.join(', ')} req/s: ${options.warmupSeconds} s warm-up + ${options.durationSeconds} s each, targets interleaved` +
        (options.rounds > 1 ? `; ${options.rounds} rounds at ${referenceRate} req/s, pooled` : ''),
    );
  }
  const saturated = (run: FixedRateRun): boolean => run.result.latency.p99 > SATURATED_P99_MS || run.result.errors > run.result.scheduled / 100;
  for (const rate of options.streamOnly ? [] : options.rates) {
    // At the reference rate, where the targets are judged, several rounds: on a shared machine one
    // window per target is one draw of its noise, and a stall in one target's window decides a ratio.
    const rounds = rate === referenceRate ? options.rounds : 1;
    const byTarget = new Map<Target, FixedRateRun[]>();
    for (let index = 0; index < rounds; index++) {
      for (const target of live()) {
        const report = reports.get(target.name)!;
        if (report.saturatedAt !== undefined) continue;
        const run = await measureFixedRate(generator, target, rate, options, rounds > 1 ? { index, of: rounds } : undefined);
        byTarget.set(target, [...(byTarget.get(target) ?? []), run]);
        // A target saturated in one round stops there (its rounds so far still report).
        if (saturated(run)) report.saturatedAt = rate;
      }
    }
    for (const [target, runs] of byTarget) {
      const report = reports.get(target.name)!;
      report.fixed.push(runs.length > 1 ? pooledRun(rate, runs) : runs[0]!);
      if (report.saturatedAt === rate) log(`${target.name} is saturated at ${rate} req/s: its higher fixed rates are skipped`);
    }
  }
  if (!options.streamOnly) {
    log(`highest rate with p99 < ${P99_LIMIT_MS} ms, the targets' probes in turn`);
    await searchHighestHeld(generator, live(), reports, options);
  }
  // At a low rate (100 req/s) and at the reference rate: on this kind of VM an idle process wakes
  // slowly and runs its first code after each wake from cold caches, so a proxy hop costs more at
  // 100 req/s than at 1,000 (the floor added 0.97 against 0.51 ms in one run, 0.76 against 0.54 in
  // another: docs/benchmarks.md, fifteenth session). The first-byte target is judged at each rate.
  const streamRates = [...new Set(options.streamRates ?? [100, referenceRate])];
  log(`streaming first byte at ${streamRates.join(' and ')} req/s${options.rounds > 1 ? `: ${options.rounds} rounds each, targets interleaved, pooled` : ''}`);
  // The streaming path (SSE parsing, async iteration) has not run yet: it gets the same unmeasured
  // JIT warm-up the JSON path had before its first rate (as many calls, at the reference rate: at the
  // streaming rate it would take minutes to reach TurboFan's tier-up), or its figure is partly
  // unoptimised code's.
  await jitWarmup(true);
  for (const streamRate of streamRates) {
    // In rounds, the targets in turn, like the reference rate: one window per target was one draw of
    // the machine's noise, and the first-byte target is a difference of two medians under a millisecond.
    const streamRounds = new Map<Target, LoadResult[]>();
    for (let index = 0; index < options.rounds; index++) {
      for (const target of live()) {
        const result = await generator.run(jobFor(target, streamRate, options.warmupSeconds, options.durationSeconds, true, options, options.rounds > 1));
        await settle(target.process.pid, SETTLE_MAX_MS);
        streamRounds.set(target, [...(streamRounds.get(target) ?? []), result]);
        const round = options.rounds > 1 ? ` (round ${index + 1} of ${options.rounds})` : '';
        log(`${target.name.padEnd(8)} stream first byte at ${streamRate} req/s${round} p50 ${result.firstByte?.p50.toFixed(2)} ms, p99 ${result.firstByte?.p99.toFixed(2)} ms${result.errors ? `, ${result.errors} errors` : ''}`);
      }
    }
    for (const [target, results] of streamRounds) reports.get(target.name)!.streams.push(results.length > 1 ? pooledStream(streamRate, results) : { rate: streamRate, result: results[0]! });
  }
  sampler.stop();
  for (const report of reports.values()) report.rss = sampler.of(report.name);
  machine.loadAtEnd = loadavg();
  const gatewaySetup = typeof gateway === 'string' ? '' : await describeGateway(gateway, options, costRows);
  notes.push(...(await profileNotes(options, gateway, startedAt)));
  const workFloor = targets.find((t) => t.name === 'work-floor');
  if (workFloor) notes.push(await workFloorNote(workFloor));

  const run: LatencyRun = {
    command: options.command,
    startedAt,
    quick: options.quick,
    rates: options.rates,
    warmupSeconds: options.warmupSeconds,
    durationSeconds: options.durationSeconds,
    rounds: options.rounds,
    searchSeconds: options.searchSeconds,
    searches: options.searches,
    streamRates,
    jitWarmupSeconds: options.jitWarmupSeconds,
    referenceRate,
    p99LimitMs: P99_LIMIT_MS,
    machine,
    gatewaySetup,
    ...(gatewaySkipped ? { gatewaySkipped } : {}),
    targets: [...reports.values()],
    notes,
  };
  const section = renderLatencySection(run);
  console.log(`\n${section}`);
  for (const verdict of latencyVerdicts(run)) console.log(`${verdict.verdict.padEnd(4)}  ${verdict.goal}: ${verdict.measured}`);
  for (const row of workFloorComparisons(run)) console.log(`ref   ${row.comparison}: ${row.measured}`);
  if (options.output) {
    writeSection(options.output, 'gateway', section);
    log(`wrote ${options.output}`);
  }
}

function logCollected(memory: MemoryAfterCollection): void {
  log(`after a full collection: RSS ${mb(memory.rssBytes)} MB, heap used ${mb(memory.heapUsedBytes)} MB, external ${mb(memory.externalBytes)} MB`);
}

async function runSoak(options: Options, generator: LoadGenerator, gateway: Gateway | string): Promise<void> {
  if (typeof gateway === 'string') throw new Error(`the soak needs the gateway, which could not be started: ${gateway}`);
  const { inspectOrigin } = gateway;
  if (!inspectOrigin) throw new Error('the soak needs the gateway started with its inspector');
  const seconds = options.soakSeconds ?? 300;
  const machine = describeMachine(REPO_ROOT);
  const startedAt = new Date();
  const costRows = await eventsFlow(gateway);
  const { pid } = gateway.target.process;
  const sampler = new RssSampler([{ name: 'gateway', pid }]);
  const clock = Date.now();
  sampler.start(5_000);
  // Memory is compared after a full collection at both ends, each after load and once the gateway
  // is idle again, so that neither the calls in flight nor the phase of V8's collection cycle
  // decides it. The warm-up comes first, so that pools, caches and compiled code are in place.
  // The price: after a forced full collection (this one, or gc()) V8 ran mark-compacts about twice
  // a second for the rest of a 90 s run at 1,000 req/s, where it ran none in 50 s without it; also
  // when forced under load. So the soak's latency is not the gateway's usual (the report says so);
  // what it retains is still measured, and a 1 KB-per-call leak showed as +21% RSS in 60 s.
  log(`soak: gateway at ${options.soakRate} req/s: ${options.soakWarmupSeconds} s warm-up, a full collection, ${seconds} s measured, a full collection`);
  await generator.run(jobFor(gateway.target, options.soakRate, 0, options.soakWarmupSeconds, false, options));
  await settle(pid, SETTLE_MAX_MS);
  const atStart = await collectAndMeasure(inspectOrigin);
  logCollected(atStart);
  let measuredFromMs = 0;
  let cpuBefore = NaN;
  const windowSeconds = Math.max(10, Math.round(seconds / 10));
  const result = await generator.run(
    // Two seconds of warm-up again: a full collection may drop compiled code.
    { ...jobFor(gateway.target, options.soakRate, 2, seconds, false, options), windowSeconds },
    () => {
      measuredFromMs = Date.now() - clock;
      cpuBefore = cpuSeconds(pid);
    },
  );
  const measuredToMs = Date.now() - clock;
  const cpuUsPerRequest = ((cpuSeconds(pid) - cpuBefore) * 1e6) / Math.max(1, result.ok);
  sampler.stop();
  await settle(pid, SETTLE_MAX_MS);
  const atEnd = await collectAndMeasure(inspectOrigin);
  logCollected(atEnd);
  machine.loadAtEnd = loadavg();
  const gatewaySetup = await describeGateway(gateway, options, costRows);
  const profile = await profileNotes(options, gateway, startedAt);
  const run = {
    command: options.command,
    startedAt,
    rate: options.soakRate,
    warmupSeconds: options.soakWarmupSeconds,
    seconds,
    windowSeconds,
    machine,
    gatewaySetup,
    result,
    cpuUsPerRequest,
    rss: sampler.of('gateway'),
    measuredFromMs,
    measuredToMs,
    collected: { atStart, atEnd },
  };
  const section = renderSoakSection(run) + profile.map((note) => `- ${note}\n`).join('');
  console.log(`\n${section}`);
  const verdict = memoryVerdict(run.collected);
  console.log(`${verdict.flat ? 'PASS' : 'MISS'}  RSS flat over ${seconds} s: ${verdict.measured}`);
  if (options.output) {
    writeSection(options.output, 'gateway-soak', section);
    log(`wrote ${options.output}`);
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!options) return void console.log(USAGE);
  const upstream = await forkServer('upstream', 'bench-upstream.js');
  const generator = new LoadGenerator(forkWorker('load generator', 'load-generator.js'));
  const sink = options.otel === 'export' ? await forkServer('OTLP sink', 'otlp-sink.js', {}, REMOTE_STAND_IN_NICE) : undefined;
  let gateway: Gateway | string = 'not selected (--targets)';
  if (options.soakSeconds !== undefined || options.targets.includes('gateway')) {
    log(options.gateway === 'service' ? 'starting the Kafka test broker and the gateway service' : 'starting the all-in-one gateway (embedded Postgres, migrations)');
    gateway = await startGateway(upstream.origin, sink?.origin, options);
  }
  if (typeof gateway !== 'string') log(`gateway ready on ${gateway.target.origin}`);
  if (options.soakSeconds !== undefined) await runSoak(options, generator, gateway);
  else await runLatency(options, generator, upstream, gateway);
}

async function cleanUp(): Promise<void> {
  await stopAll();
  for (const dir of temporaryDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: stopping every process of the run`);
    void cleanUp().finally(() => process.exit(130));
  });
}

main()
  .catch((error: unknown) => {
    if (interrupted) return; // the run was stopped on purpose; what broke is the stopping itself
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  })
  .finally(() => cleanUp());
