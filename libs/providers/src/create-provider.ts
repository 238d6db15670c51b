import { AnthropicProvider, ANTHROPIC_DEFAULT_BASE_URL } from './anthropic/anthropic.provider';
import type { Deployment } from './deployment';
import { MockProvider } from './mock/mock.provider';
import { OpenAiProvider } from './openai/openai.provider';
import type { ChatProvider } from './provider';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';
/** The newest GA `api-version` of Azure OpenAI's deployment-scoped data-plane API. */
export const AZURE_OPENAI_DEFAULT_API_VERSION = '2024-10-21';

function describeDeployment(deployment: Deployment): string {
  return `deployment "${deployment.id}" (${deployment.provider})`;
}

/**
 * The API key named by `apiKeyEnv`. A missing key fails here, at start-up, naming the variable
 * (never its value), rather than as a 401 on the first call.
 */
function apiKey(deployment: Deployment, env: NodeJS.ProcessEnv, required: boolean): string | undefined {
  const name = deployment.apiKeyEnv;
  if (!name) {
    if (required) throw new Error(`${describeDeployment(deployment)} needs apiKeyEnv: the name of the environment variable holding its API key`);
    return undefined;
  }
  const value = env[name];
  if (!value) throw new Error(`${describeDeployment(deployment)}: environment variable ${name} is not set; set it to the provider's API key`);
  return value;
}

function baseUrl(deployment: Deployment, fallback?: string): string {
  const url = deployment.baseUrl ?? fallback;
  if (!url) throw new Error(`${describeDeployment(deployment)} needs baseUrl (e.g. ${deployment.provider === 'azure-openai' ? 'https://<resource>.openai.azure.com' : 'http://localhost:8000/v1'})`);
  return url;
}

/** The one way to build an adapter: one per deployment, holding its own connection pool. */
export function createProvider(deployment: Deployment, env: NodeJS.ProcessEnv): ChatProvider {
  const label = `${deployment.provider} deployment "${deployment.id}"`;
  const { timeoutMs } = deployment;
  switch (deployment.provider) {
    case 'mock':
      return new MockProvider(deployment);
    case 'openai': {
      const key = apiKey(deployment, env, true) ?? '';
      return new OpenAiProvider({
        providerName: 'openai',
        label,
        baseUrl: baseUrl(deployment, OPENAI_DEFAULT_BASE_URL),
        timeoutMs,
        headers: { authorization: `Bearer ${key}` },
        chatPath: () => '/chat/completions',
        embeddingsPath: () => '/embeddings',
        maxTokensField: 'max_completion_tokens',
        developerAsSystem: false,
        secrets: [key],
      });
    }
    case 'openai-compatible': {
      // Local servers (Ollama, an unsecured vLLM) need no key: send none unless one is configured.
      const key = apiKey(deployment, env, false);
      return new OpenAiProvider({
        providerName: 'openai-compatible',
        label,
        baseUrl: baseUrl(deployment),
        timeoutMs,
        headers: key ? { authorization: `Bearer ${key}` } : {},
        chatPath: () => '/chat/completions',
        embeddingsPath: () => '/embeddings',
        maxTokensField: 'max_tokens',
        developerAsSystem: true,
        secrets: key ? [key] : [],
      });
    }
    case 'azure-openai': {
      const key = apiKey(deployment, env, true) ?? '';
      const query = `?api-version=${encodeURIComponent(deployment.apiVersion ?? AZURE_OPENAI_DEFAULT_API_VERSION)}`;
      return new OpenAiProvider({
        providerName: 'azure.ai.openai',
        label,
        baseUrl: baseUrl(deployment),
        timeoutMs,
        headers: { 'api-key': key },
        chatPath: (model) => `/openai/deployments/${encodeURIComponent(model)}/chat/completions${query}`,
        embeddingsPath: (model) => `/openai/deployments/${encodeURIComponent(model)}/embeddings${query}`,
        maxTokensField: 'max_completion_tokens',
        developerAsSystem: false,
        secrets: [key],
      });
    }
    case 'anthropic':
      return new AnthropicProvider({ label, baseUrl: baseUrl(deployment, ANTHROPIC_DEFAULT_BASE_URL), apiKey: apiKey(deployment, env, true) ?? '', timeoutMs });
  }
}
