import { parseEventJson, ServerSentEventDecoder } from '../http/server-sent-events';
import { UpstreamHttp } from '../http/upstream-http';
import type { ChatProvider, ProviderCallContext, ProviderChatRequest, ProviderChatResponse, ProviderStreamEvent } from '../provider';
import { ANTHROPIC_VERSION, AnthropicStreamTranslator, fromAnthropicMessage, toAnthropicRequest } from './anthropic-translation';
import type { AnthropicMessage, AnthropicStreamEvent } from './anthropic-translation';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';

export interface AnthropicProviderOptions {
  label: string;
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
}

/** Anthropic's Messages API behind the chat contract. Anthropic offers no embeddings: `embed` is absent. */
export class AnthropicProvider implements ChatProvider {
  readonly providerName = 'anthropic';
  private readonly http: UpstreamHttp;
  private readonly headers: Record<string, string>;

  constructor(private readonly options: AnthropicProviderOptions) {
    this.http = new UpstreamHttp({ label: options.label, baseUrl: options.baseUrl, timeoutMs: options.timeoutMs, secrets: [options.apiKey] });
    this.headers = { 'x-api-key': options.apiKey, 'anthropic-version': ANTHROPIC_VERSION };
  }

  async complete(request: ProviderChatRequest, context: ProviderCallContext): Promise<ProviderChatResponse> {
    const message = (await this.http.postJson('/v1/messages', this.headers, toAnthropicRequest(request, false, this.options.label), context.signal)) as AnthropicMessage;
    return fromAnthropicMessage(message, request.model);
  }

  async *stream(request: ProviderChatRequest, context: ProviderCallContext): AsyncGenerator<ProviderStreamEvent> {
    const { signal } = context;
    const body = await this.http.openStream('/v1/messages', this.headers, toAnthropicRequest(request, true, this.options.label), signal);
    const translator = new AnthropicStreamTranslator(this.options.label, request.model);
    let deltas = 0;
    let finish: ProviderStreamEvent | undefined;
    const events = new ServerSentEventDecoder();
    try {
      // Reading on to the end of the response (which follows message_stop at once) keeps the
      // connection reusable: leaving the loop early would destroy the body and the socket with it.
      for await (const bytes of body) {
        for (const message of events.feed(bytes)) {
          if (finish) continue;
          const translated = translator.next(parseEventJson<AnthropicStreamEvent>(message.data, this.options.label, 'event'));
          if (translated?.type === 'finish') {
            finish = translated;
            continue;
          }
          if (translated) {
            deltas += 1;
            yield translated;
          }
        }
      }
    } catch (error) {
      // A failure after message_stop loses nothing: the answer is complete.
      if (!finish) throw this.http.streamReadError(error, signal, deltas);
    } finally {
      // Drained (keeping the connection) when complete, aborted otherwise.
      body.release(translator.finished);
    }
    if (!finish) throw this.http.streamCut(`the stream ended before message_stop after ${deltas} chunk(s)`);
    yield finish;
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
