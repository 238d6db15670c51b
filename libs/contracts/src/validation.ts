import type { z } from 'zod';
import type { EventContract } from './events/define-event';

export class EventValidationError extends Error {
  constructor(
    readonly topic: string,
    readonly issues: readonly string[],
  ) {
    super(`invalid ${topic} event: ${issues.join('; ')}`);
    this.name = 'EventValidationError';
  }
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; issues: string[] };

function describe(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}

/** Validates an event against its contract, including the `type`/`version` it must declare. */
export function validateEvent<C extends EventContract>(contract: C, value: unknown): ValidationResult<z.infer<C['schema']>> {
  const parsed = contract.schema.safeParse(value);
  if (!parsed.success) return { ok: false, issues: describe(parsed.error.issues) };
  return { ok: true, value: parsed.data as z.infer<C['schema']> };
}

/** Like validateEvent, but throws EventValidationError: for producers, where bad data is a bug. */
export function assertEvent<C extends EventContract>(contract: C, value: unknown): z.infer<C['schema']> {
  const result = validateEvent(contract, value);
  if (!result.ok) throw new EventValidationError(contract.topic, result.issues);
  return result.value;
}
