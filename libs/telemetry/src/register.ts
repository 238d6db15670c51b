import { startTelemetry } from './start-telemetry';

/**
 * `node --require <dist>/libs/telemetry/src/register.js main.js`: starts telemetry before any
 * application code, for entry points that cannot call startTelemetry first themselves.
 * The short service name comes from TOLLGATE_SERVICE (default `all-in-one`).
 */
startTelemetry({ serviceName: process.env['TOLLGATE_SERVICE'] ?? 'all-in-one' });
