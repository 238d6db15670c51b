import type { Server } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiKeyDirectory, authenticateBearer, installFastRoute, isPlainJsonRequest, readJsonBody } from '@tollgate/platform';
import { GATEWAY_CONFIG } from '../config/gateway.config';
import type { GatewayConfig } from '../config/gateway.config';
import { ChatCompletionsEndpoint } from './chat-completions.endpoint';

/**
 * Serves `POST /v1/chat/completions` with a plain JSON body straight from node:http (see
 * libs/platform FastRoute): key check, body read with the size limit, then the same endpoint the
 * Nest controller calls. Other requests to the path (gzip bodies, other content types) go on to
 * Express and the controller, so the behaviour is one, only the cost differs.
 */
@Injectable()
export class ChatCompletionsFastPath implements OnApplicationBootstrap {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly directory: ApiKeyDirectory,
    private readonly endpoint: ChatCompletionsEndpoint,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    // No HTTP server (an application context without one): nothing to serve.
    if (!server) return;
    installFastRoute(server, {
      method: 'POST',
      path: '/v1/chat/completions',
      accepts: isPlainJsonRequest,
      handle: async (req, res) => {
        const caller = authenticateBearer(this.directory, req.headers.authorization);
        const body = await readJsonBody(req, this.config.TOLLGATE_MAX_BODY_BYTES);
        await this.endpoint.serve(caller, body, req.headers, res);
      },
    });
  }
}
