import { deployment } from '../test/fake-upstream';
import { createProvider } from './create-provider';

describe('createProvider', () => {
  it('builds each provider kind with its telemetry name', async () => {
    const env = { OPENAI_KEY: 'sk-1', AZURE_KEY: 'az-1', ANTHROPIC_KEY: 'ant-1' };
    const providers = [
      createProvider(deployment({ provider: 'openai', apiKeyEnv: 'OPENAI_KEY' }), env),
      createProvider(deployment({ provider: 'azure-openai', apiKeyEnv: 'AZURE_KEY', baseUrl: 'https://example.openai.azure.com' }), env),
      createProvider(deployment({ provider: 'anthropic', apiKeyEnv: 'ANTHROPIC_KEY' }), env),
      createProvider(deployment({ provider: 'openai-compatible', baseUrl: 'http://localhost:11434/v1' }), env),
      createProvider(deployment({ provider: 'mock' }), {}),
    ];
    expect(providers.map((p) => p.providerName)).toEqual(['openai', 'azure.ai.openai', 'anthropic', 'openai-compatible', 'mock']);
    await Promise.all(providers.map((p) => p.close?.()));
  });

  it('fails at creation, naming the variable, when the API key is not set', () => {
    expect(() => createProvider(deployment({ provider: 'openai', id: 'gpt-us', apiKeyEnv: 'OPENAI_API_KEY' }), {})).toThrow(
      'deployment "gpt-us" (openai): environment variable OPENAI_API_KEY is not set',
    );
    expect(() => createProvider(deployment({ provider: 'anthropic', apiKeyEnv: 'ANTHROPIC_API_KEY' }), { ANTHROPIC_API_KEY: '' })).toThrow('ANTHROPIC_API_KEY is not set');
    expect(() => createProvider(deployment({ provider: 'azure-openai', baseUrl: 'https://x.openai.azure.com' }), {})).toThrow('needs apiKeyEnv');
  });

  it('requires a base URL for Azure and OpenAI-compatible deployments', () => {
    expect(() => createProvider(deployment({ provider: 'openai-compatible' }), {})).toThrow('needs baseUrl');
    expect(() => createProvider(deployment({ provider: 'azure-openai', apiKeyEnv: 'K' }), { K: 'secret' })).toThrow('needs baseUrl');
  });

  it('fails when a configured key variable of an OpenAI-compatible deployment is missing', () => {
    expect(() => createProvider(deployment({ provider: 'openai-compatible', baseUrl: 'http://vllm:8000/v1', apiKeyEnv: 'VLLM_KEY' }), {})).toThrow('VLLM_KEY is not set');
  });
});
