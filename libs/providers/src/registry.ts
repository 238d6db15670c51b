import type { ChatProvider } from './provider';

/** Providers by name; the gateway's router picks one per call. */
export class ProviderRegistry {
  private readonly providers = new Map<string, ChatProvider>();

  constructor(providers: readonly ChatProvider[]) {
    for (const provider of providers) this.providers.set(provider.name, provider);
  }

  get(name: string): ChatProvider | undefined {
    return this.providers.get(name);
  }

  /** `provider/model` for every model every provider serves. */
  qualifiedModels(): string[] {
    return [...this.providers.values()].flatMap((p) => p.models().map((m) => `${p.name}/${m}`));
  }
}
