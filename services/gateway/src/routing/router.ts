import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Plan, Region, RouteDecision } from '@tollgate/contracts';
import { OpenAiHttpError } from '@tollgate/platform';
import type { Caller } from '@tollgate/platform';
import type { Deployment } from '@tollgate/providers';
import { CircuitBreakers } from '../resilience';
import { DeploymentCatalog } from './deployment-catalog';
import type { ModelGroup } from './deployment-catalog';
import { estimatePromptTokens } from './prompt-tokens';
import type { PromptMessage } from './prompt-tokens';
import { ROUTING_CONFIG } from './routing.config';
import type { RoutingConfig } from './routing.config';

export interface RouteRequest {
  caller: Caller;
  requestedModel: string;
  operation: 'chat' | 'embeddings';
  promptTokens: number;
  maxOutputTokens?: number;
}

export interface RoutePlan {
  decision: RouteDecision;
  /** The fallback chain: first choice, then fallbacks; every one satisfies region, plan and context rules. */
  candidates: Deployment[];
  /** The prompt-token estimate the call was routed on (budget reservations and cut streams reuse it). */
  promptTokens: number;
}

/**
 * Routing refused the call, in OpenAI's shape. `decision` is set when deployments were considered
 * (no_healthy_deployment) so the llm.call event can still say which ones and why.
 */
export class RoutingError extends OpenAiHttpError {
  constructor(
    status: number,
    type: 'invalid_request_error' | 'permission_error' | 'not_found_error' | 'server_error',
    message: string,
    options: { param?: string | null; code: string },
    readonly decision: RouteDecision | null = null,
  ) {
    super(status, type, message, options);
    // HttpException would say "Routing Error"; logs and tests want the sentence.
    this.message = message;
    this.name = 'RoutingError';
  }
}

/**
 * Where a caller's data may be processed. EU residency means EU deployments only: never `global`,
 * which may run anywhere. US callers may use US and global deployments.
 */
const ALLOWED_REGIONS: Record<Region, readonly Region[]> = {
  eu: ['eu'],
  us: ['us', 'global'],
  global: ['eu', 'us', 'global'],
};

const REGION_NAMES: Record<Region, string> = { eu: 'EU', us: 'US', global: 'global' };

/** Weight of a least-latency average: recent calls count, one slow call does not flip the order. */
const LATENCY_EWMA_ALPHA = 0.2;

interface Candidate {
  deployment: Deployment;
  /** Position of its model in the alias (0 for a plain model). */
  group: number;
  /** Strategy order: higher first for weighted, lower first for least-latency (set in orderChain). */
  key: number;
}

/**
 * Picks the deployments for a call. Rules, in order, each named in `decision.rule` when it changed
 * the outcome (joined with `+`, e.g. `alias+region+plan_tier+weighted`):
 *  1. `alias`: an alias expands to its models' deployments, in the alias's order of preference.
 *  2. `region`: EU callers only EU deployments (403 region_unavailable if the model has none);
 *     US callers US and global; global callers any.
 *  3. `plan_tier`: free callers get a model's economy deployments if it has any (in their region),
 *     else its standard ones, never premium (403 plan_not_allowed for premium-only models).
 *  4. `context_window`: deployments whose window < prompt + max output tokens are dropped
 *     (400 context_length_exceeded if none is left).
 *  5. `long_context`: prompts above TOLLGATE_LONG_CONTEXT_TOKENS try the largest windows first.
 *  6. `health`: deployments with an open breaker leave the chain; half-open ones go last (their
 *     probe); none left → 503 no_healthy_deployment, never a deployment outside the region.
 *  7. `weighted` (random by weight) or `least_latency` (lowest EWMA first, unmeasured ones first so
 *     they get measured) orders what remains within the same model and window. Weight 0 = standby:
 *     only after the others.
 */
@Injectable()
export class Router {
  readonly catalog: DeploymentCatalog;
  private readonly latencyEwma = new Map<string, number>();
  /** Below this a prompt changes no decision, so it is not tokenized (see prompt-tokens.ts). */
  private readonly exactCountFromTokens: number;
  private readonly modelsByAccess = new Map<string, string[]>();
  /**
   * Plans with one possible outcome (one eligible deployment, nothing dropped for its context
   * window, its breaker closed), by operation, region, plan and model: one entry per catalog model
   * or alias and caller class at most (unknown models are refused before anything is kept). Handed
   * out again while the prompt fits and the breaker stays closed; a call to such a model otherwise
   * rebuilt the same decision each time: ~4 µs and ~2 KB per call (bench:gateway --profile;
   * docs/benchmarks.md, twentieth session). Frozen: every call shares them.
   */
  private readonly settled = new Map<string, Pick<RoutePlan, 'decision' | 'candidates'>>();

  constructor(
    @Inject(ROUTING_CONFIG) private readonly config: RoutingConfig,
    private readonly breakers: CircuitBreakers,
  ) {
    this.catalog = new DeploymentCatalog(config.deployments, config.aliases);
    this.exactCountFromTokens = Math.min(config.longContextThresholdTokens, ...config.deployments.map((d) => d.contextWindow));
    new Logger(Router.name).log(
      `Routing ${config.deployments.length} deployments from ${config.deploymentsSource} (${Object.keys(config.aliases).length} aliases, strategy ${config.strategy})`,
    );
  }

  plan(request: RouteRequest): RoutePlan {
    const { caller, requestedModel, operation, promptTokens } = request;
    const settledKey = `${operation}\u0000${caller.region}\u0000${caller.plan}\u0000${requestedModel}`;
    const settled = this.settled.get(settledKey);
    if (settled !== undefined) {
      const [only] = settled.candidates;
      if (promptTokens + (request.maxOutputTokens ?? 0) <= only.contextWindow && this.breakers.stateOf(only.id) === 'closed') {
        return { decision: settled.decision, candidates: settled.candidates, promptTokens };
      }
    }
    const resolved = this.catalog.resolve(requestedModel);
    if (!resolved) {
      throw new RoutingError(404, 'not_found_error', `The model \`${requestedModel}\` does not exist or is not served by this gateway. GET /v1/models lists the models and aliases your key may use.`, {
        param: 'model',
        code: 'model_not_found',
      });
    }
    const rules: string[] = [];
    const reasons: string[] = [];
    if (resolved.alias !== null) {
      rules.push('alias');
      reasons.push(resolved.description);
    }

    let groups = resolved.groups;
    if (operation === 'embeddings') {
      groups = keepInGroups(groups, (d) => d.supportsEmbeddings);
      if (groups.length === 0) {
        throw new RoutingError(400, 'invalid_request_error', `The model \`${requestedModel}\` does not serve embeddings. Use an embeddings model; GET /v1/models lists what your key may use.`, {
          param: 'model',
          code: 'model_not_supported',
        });
      }
    }

    const allowed = ALLOWED_REGIONS[caller.region];
    const inRegion = keepInGroups(groups, (d) => allowed.includes(d.region));
    if (inRegion.length === 0) throw regionUnavailable(requestedModel, caller.region);
    if (caller.region === 'eu' || count(inRegion) < count(groups)) {
      rules.push('region');
      reasons.push(caller.region === 'eu' ? 'EU data residency: EU deployments only' : `${REGION_NAMES[caller.region]} caller: ${allowed.join(' and ')} deployments only`);
    }
    groups = inRegion;

    if (caller.plan === 'free') {
      const affordable: readonly ModelGroup[] = groups.flatMap((g) => {
        const tier = freeTierOf(g);
        const kept = tier ? g.deployments.filter((d) => d.priceTier === tier) : [];
        return kept.length > 0 ? [{ publicModel: g.publicModel, deployments: kept }] : [];
      });
      if (affordable.length === 0) {
        throw new RoutingError(
          403,
          'permission_error',
          `The model \`${requestedModel}\` is served only by premium deployments, which the free plan does not include. Use an economy model (GET /v1/models lists what your key may use) or upgrade your plan.`,
          { param: 'model', code: 'plan_not_allowed' },
        );
      }
      if (count(affordable) < count(groups)) {
        rules.push('plan_tier');
        reasons.push('free plan: economy deployments (standard where a model has none), never premium');
      }
      groups = affordable;
    }

    const needed = promptTokens + (request.maxOutputTokens ?? 0);
    const fitting = keepInGroups(groups, (d) => d.contextWindow >= needed);
    if (fitting.length === 0) {
      const largest = Math.max(...groups.flatMap((g) => g.deployments.map((d) => d.contextWindow)));
      throw new RoutingError(400, 'invalid_request_error', contextLengthMessage(operation, largest, promptTokens, request.maxOutputTokens), {
        param: operation === 'chat' ? 'messages' : 'input',
        code: 'context_length_exceeded',
      });
    }
    if (count(fitting) < count(groups)) {
      rules.push('context_window');
      reasons.push(`dropped deployments whose context window is under ${needed} tokens`);
    }

    const candidates: Candidate[] = fitting.flatMap((g, group) => g.deployments.map((deployment) => ({ deployment, group, key: 0 })));
    const windows = new Set(candidates.map((c) => c.deployment.contextWindow));
    const longContext = promptTokens > this.config.longContextThresholdTokens && windows.size > 1;
    if (longContext) {
      rules.push('long_context');
      reasons.push(`prompt of ~${promptTokens} tokens is over ${this.config.longContextThresholdTokens}: largest context windows first`);
    }

    const ready: Candidate[] = [];
    const probes: Candidate[] = [];
    const unavailable: string[] = [];
    for (const candidate of candidates) {
      const id = candidate.deployment.id;
      const state = this.breakers.stateOf(id);
      if (state === 'closed') ready.push(candidate);
      else if (state === 'half-open' && this.breakers.isAvailable(id)) probes.push(candidate);
      else unavailable.push(id);
    }
    if (unavailable.length > 0 || probes.length > 0) {
      rules.push('health');
      const parts = [];
      if (unavailable.length > 0) parts.push(`breaker open: ${unavailable.join(', ')}`);
      if (probes.length > 0) parts.push(`half-open, tried last: ${probes.map((c) => c.deployment.id).join(', ')}`);
      reasons.push(parts.join('; '));
    }
    if (ready.length === 0 && probes.length === 0) {
      throw this.noHealthyDeployment(requestedModel, caller.region, unavailable, rules, reasons);
    }

    const chain = [...this.order(ready, longContext), ...this.order(probes, longContext)];
    if (chain.length > 1) {
      const strategy = this.config.strategy === 'least-latency' ? 'least_latency' : 'weighted';
      rules.push(strategy);
      reasons.push(strategy === 'weighted' ? `weighted random order among ${chain.length}` : `lowest observed latency first among ${chain.length}`);
    }
    const first = chain[0].deployment;
    const deployments = chain.map((c) => c.deployment);
    const decision: RouteDecision = {
      provider: first.provider,
      model: first.model,
      deployment: first.id,
      region: first.region,
      rule: rules.length > 0 ? rules.join('+') : 'direct',
      reason: reasons.length > 0 ? truncate(reasons.join('; '), 1000) : `${first.publicModel} has one eligible deployment`,
      policyVersion: null,
      candidates: [...deployments.map((d) => d.id), ...unavailable].slice(0, 100),
    };
    // One deployment left by the rules that depend only on the key, and it fits and is ready: the
    // same inputs give this plan again (while it fits and the breaker is closed).
    if (count(groups) === 1 && ready.length === 1) {
      Object.freeze(decision.candidates);
      this.settled.set(settledKey, { decision: Object.freeze(decision), candidates: Object.freeze(deployments) as Deployment[] });
    }
    return { decision, candidates: deployments, promptTokens };
  }

  /** The routing settings in force (for GET /api/v1/gateway/routes). */
  get settings(): Pick<RoutingConfig, 'deploymentsSource' | 'strategy' | 'longContextThresholdTokens'> {
    return this.config;
  }

  /** What GET /v1/models lists for this caller: public models and aliases their region and plan allow. */
  modelsFor(caller: Pick<Caller, 'region' | 'plan'>): string[] {
    const key = `${caller.region}:${caller.plan}`;
    let models = this.modelsByAccess.get(key);
    if (!models) {
      models = this.computeModelsFor(caller.region, caller.plan);
      this.modelsByAccess.set(key, models);
    }
    return [...models];
  }

  /** Feeds least-latency routing; call it with each successful attempt's latency. */
  recordLatency(deploymentId: string, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const previous = this.latencyEwma.get(deploymentId);
    this.latencyEwma.set(deploymentId, previous === undefined ? ms : previous + LATENCY_EWMA_ALPHA * (ms - previous));
  }

  latencyOf(deploymentId: string): number | undefined {
    return this.latencyEwma.get(deploymentId);
  }

  /** Prompt tokens, counted exactly only when they could reach this catalog's lowest limit. */
  estimatePromptTokens(messages: readonly PromptMessage[]): number {
    return estimatePromptTokens(messages, this.exactCountFromTokens);
  }

  /** Orders one health class: larger windows first for long prompts, then alias order, then strategy. */
  private order(candidates: Candidate[], longContext: boolean): Candidate[] {
    const leastLatency = this.config.strategy === 'least-latency';
    for (const c of candidates) {
      const weight = c.deployment.weight;
      if (leastLatency) {
        // Unmeasured first (negative), random among them; standby (weight 0) after everything.
        const ewma = this.latencyEwma.get(c.deployment.id);
        c.key = weight === 0 ? Number.MAX_VALUE : (ewma ?? -1 - Math.random());
      } else {
        // Efraimidis–Spirakis: sorting by u^(1/w) gives each deployment first place with probability w / Σw.
        c.key = weight === 0 ? -1 - Math.random() : Math.random() ** (1 / weight);
      }
    }
    return candidates.sort(
      (a, b) =>
        (longContext ? b.deployment.contextWindow - a.deployment.contextWindow : 0) ||
        a.group - b.group ||
        (leastLatency ? a.key - b.key : b.key - a.key),
    );
  }

  private noHealthyDeployment(requestedModel: string, region: Region, unavailable: string[], rules: string[], reasons: string[]): RoutingError {
    const where =
      region === 'eu'
        ? 'Every EU deployment'
        : region === 'us'
          ? 'Every US and global deployment'
          : 'Every deployment';
    const never = region === 'eu' ? ' Calls from EU-resident keys are never sent outside the EU.' : '';
    const message = `${where} of \`${requestedModel}\` is unavailable right now (circuit breaker open: ${unavailable.join(', ')}).${never} Retry in a few seconds.`;
    const first = this.catalog.deployments.find((d) => d.id === unavailable[0]);
    const decision: RouteDecision = {
      provider: first?.provider ?? 'none',
      model: first?.model ?? requestedModel,
      deployment: null,
      region,
      rule: rules.join('+'),
      reason: truncate(reasons.join('; '), 1000),
      policyVersion: null,
      candidates: unavailable.slice(0, 100),
    };
    return new RoutingError(503, 'server_error', message, { code: 'no_healthy_deployment' }, decision);
  }

  private computeModelsFor(region: Region, plan: Plan): string[] {
    const allowed = ALLOWED_REGIONS[region];
    const usable = new Set<string>();
    for (const group of this.catalog.modelGroups()) {
      const reachable = group.deployments.some((d) => allowed.includes(d.region) && (plan !== 'free' || d.priceTier !== 'premium'));
      if (reachable) usable.add(group.publicModel);
    }
    const aliases = Object.entries(this.catalog.aliases)
      .filter(([, models]) => models.some((m) => usable.has(m)))
      .map(([alias]) => alias);
    return [...[...usable].sort(), ...aliases.sort()];
  }
}

/** Filters deployments inside each group, dropping emptied groups; allocates nothing when all are kept (the hot path). */
function keepInGroups(groups: readonly ModelGroup[], keep: (d: Deployment) => boolean): readonly ModelGroup[] {
  if (groups.every((g) => g.deployments.every(keep))) return groups;
  return groups.flatMap((g) => {
    const deployments = g.deployments.filter(keep);
    return deployments.length > 0 ? [{ publicModel: g.publicModel, deployments }] : [];
  });
}

function count(groups: readonly ModelGroup[]): number {
  return groups.reduce((n, g) => n + g.deployments.length, 0);
}

/** The cheapest tier a free caller may use in this group: economy if any, else standard. */
function freeTierOf(group: ModelGroup): 'economy' | 'standard' | null {
  if (group.deployments.some((d) => d.priceTier === 'economy')) return 'economy';
  if (group.deployments.some((d) => d.priceTier === 'standard')) return 'standard';
  return null;
}

function regionUnavailable(requestedModel: string, region: Region): RoutingError {
  const message =
    region === 'eu'
      ? `No EU deployment serves \`${requestedModel}\`. Your API key requires EU data residency, so Tollgate will not send this call outside the EU. Use a model with an EU deployment (GET /v1/models lists them) or ask your Tollgate admin to add one.`
      : `No US or global deployment serves \`${requestedModel}\`, and your API key is limited to those regions. Use another model (GET /v1/models lists them) or ask your Tollgate admin.`;
  return new RoutingError(403, 'permission_error', message, { param: 'model', code: 'region_unavailable' });
}

function contextLengthMessage(operation: 'chat' | 'embeddings', largest: number, promptTokens: number, maxOutputTokens: number | undefined): string {
  if (operation === 'embeddings') {
    return `This model's maximum input length is ${largest} tokens, but the input has about ${promptTokens} tokens. Shorten or split the input.`;
  }
  return `This model's maximum context length is ${largest} tokens. However, you requested about ${promptTokens + (maxOutputTokens ?? 0)} tokens (${promptTokens} in the messages, ${maxOutputTokens ?? 0} in the completion). Please reduce the length of the messages or the completion (max_tokens).`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
