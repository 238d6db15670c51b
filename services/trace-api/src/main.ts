import { startTelemetry } from '@tollgate/telemetry';

// Telemetry first: instrumentation must patch http, express, pg and kafkajs before they load.
startTelemetry({ serviceName: 'trace-api' });

// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after telemetry on purpose
const { runMain } = require('@tollgate/platform') as typeof import('@tollgate/platform');
// eslint-disable-next-line @typescript-eslint/no-require-imports
runMain((require('./bootstrap') as typeof import('./bootstrap')).main);
