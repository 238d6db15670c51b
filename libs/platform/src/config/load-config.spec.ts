import { z } from 'zod';
import { ConfigError, env, loadConfig } from './load-config';
import { RuntimeEnvSchema, busSettings } from './runtime.config';

const Schema = RuntimeEnvSchema.extend({ PORT: env.port(8080), API_SECRET_KEY: z.string().min(10, 'must be at least 10 characters') });

function problems(source: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(Schema, source);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('applies defaults and coerces types', () => {
    const config = loadConfig(Schema, { API_SECRET_KEY: '0123456789', KAFKA_SSL: 'true', TOLLGATE_MAX_BODY_BYTES: '1024' });
    expect(config).toMatchObject({ PORT: 8080, HOST: '0.0.0.0', KAFKA_SSL: true, TOLLGATE_MAX_BODY_BYTES: 1024, LOG_LEVEL: 'log', TOLLGATE_DATA_DIR: '.tollgate' });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('names a missing required variable', () => {
    expect(problems({})).toEqual(['API_SECRET_KEY: Invalid input: expected string, received undefined (not set)']);
  });

  it('names every bad variable at once, with what was given', () => {
    const found = problems({ API_SECRET_KEY: '0123456789', PORT: '70000', LOG_LEVEL: 'chatty', KAFKA_SSL: 'yes' });
    expect(found).toEqual(
      expect.arrayContaining([
        'PORT: must be between 1 and 65535 (got "70000")',
        'LOG_LEVEL: must be error, warn, log, debug or verbose (got "chatty")',
        'KAFKA_SSL: must be true or false (got "yes")',
      ]),
    );
    expect(found).toHaveLength(3);
  });

  it('never echoes secrets or URLs back', () => {
    const found = problems({ API_SECRET_KEY: 'short', DATABASE_URL: 'mysql://user:hunter2@db/x' });
    expect(found.sort()).toEqual(['API_SECRET_KEY: must be at least 10 characters (got "<redacted>")', 'DATABASE_URL: must be a URL starting with postgres:// or postgresql:// (got "<redacted>")']);
    expect(found.join()).not.toContain('hunter2');
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig(Schema, { API_SECRET_KEY: '0123456789', PORT: '' }).PORT).toBe(8080);
  });

  it('formats the error message with one line per variable', () => {
    expect(() => loadConfig(Schema, { PORT: 'x' })).toThrow(/Invalid configuration:\n {2}- PORT: must be a port number[^\n]*\n {2}- API_SECRET_KEY/);
  });
});

describe('busSettings', () => {
  const base = loadConfig(RuntimeEnvSchema, {});

  it('uses the fallback when nothing is configured', () => {
    expect(busSettings(base, 'in-process')).toEqual({ kind: 'in-process' });
  });

  it('switches to Kafka when brokers are given', () => {
    const runtime = loadConfig(RuntimeEnvSchema, { KAFKA_BROKERS: 'a:9092, b:9092' });
    expect(busSettings(runtime, 'in-process')).toMatchObject({ kind: 'kafka', brokers: ['a:9092', 'b:9092'], clientId: 'tollgate', ssl: false });
  });

  it('refuses Kafka without brokers, naming the variable', () => {
    expect(() => busSettings(base, 'kafka')).toThrow(/KAFKA_BROKERS: required when the bus is kafka/);
  });

  it('refuses SASL without credentials', () => {
    const runtime = loadConfig(RuntimeEnvSchema, { KAFKA_BROKERS: 'a:9092', KAFKA_SASL_MECHANISM: 'plain' });
    expect(() => busSettings(runtime, 'kafka')).toThrow(/KAFKA_SASL_USERNAME/);
  });
});
