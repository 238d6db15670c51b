import { z } from 'zod';

const id = z.string().min(1).max(256);

/** Query of GET /api/v1/cost-logs; unknown parameters are refused so typos do not go unnoticed. */
export const ListCostLogsQuerySchema = z
  .object({
    limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be between 1 and 500').max(500, 'must be between 1 and 500').default(50),
    cursor: z.string().max(512).optional(),
    from: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-11-01T00:00:00Z' }).optional(),
    to: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-11-02T00:00:00Z' }).optional(),
    user_id: id.optional(),
    agent_id: id.optional(),
    workflow_id: id.optional(),
    model: id.optional(),
    provider: id.optional(),
    api_key_id: id.optional(),
    price_status: z.enum(['priced', 'unpriced'], { error: 'must be priced or unpriced' }).optional(),
    cost_mismatch: z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true').optional(),
  })
  .strict()
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), { message: 'must be after from', path: ['to'] });

export type ListCostLogsQuery = z.infer<typeof ListCostLogsQuerySchema>;
