import type { Deployment } from '@tollgate/providers';

/** The deployments that serve one public model, e.g. every `openai/gpt-4o` endpoint. */
export interface ModelGroup {
  publicModel: string;
  deployments: readonly Deployment[];
}

/** What a requested model name stands for: one group, or an alias's groups in preference order. */
export interface ResolvedModel {
  alias: string | null;
  groups: readonly ModelGroup[];
  /** For the route reason, built once: `default-chat is an alias for a, b`. */
  description: string;
}

/**
 * Deployments indexed by public model, and aliases resolved to their groups, built once. The
 * single source routing reads, whether deployments come from configuration (now) or from
 * guardrails' policy snapshots (later: build a new catalog and swap it in).
 */
export class DeploymentCatalog {
  private readonly byName = new Map<string, ResolvedModel>();
  private readonly groups: readonly ModelGroup[];

  constructor(
    readonly deployments: readonly Deployment[],
    readonly aliases: Readonly<Record<string, readonly string[]>>,
  ) {
    const byModel = new Map<string, Deployment[]>();
    for (const deployment of deployments) {
      const list = byModel.get(deployment.publicModel) ?? [];
      list.push(deployment);
      byModel.set(deployment.publicModel, list);
    }
    this.groups = [...byModel].map(([publicModel, list]) => ({ publicModel, deployments: list }));
    for (const group of this.groups) this.byName.set(group.publicModel, { alias: null, groups: [group], description: group.publicModel });
    for (const [alias, models] of Object.entries(aliases)) {
      const groups = models.flatMap((model) => this.byName.get(model)?.groups ?? []);
      if (groups.length > 0) this.byName.set(alias, { alias, groups, description: `${alias} is an alias for ${groups.map((g) => g.publicModel).join(', ')}` });
    }
  }

  resolve(requestedModel: string): ResolvedModel | undefined {
    return this.byName.get(requestedModel);
  }

  modelGroups(): readonly ModelGroup[] {
    return this.groups;
  }
}
