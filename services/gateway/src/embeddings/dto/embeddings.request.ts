import { z } from 'zod';

/** The OpenAI embeddings request as Tollgate accepts it (text input; token-array input is refused). */
export const EmbeddingsRequestSchema = z.looseObject({
  model: z.string({ error: 'is required and must be a string such as "mock/echo"' }).min(1, 'must not be empty').max(256),
  input: z.union(
    [z.string().min(1, 'must not be empty'), z.array(z.string().min(1, 'must not contain empty strings'), { error: 'must be a string or an array of strings' }).min(1, 'must contain at least one string').max(2048, 'must contain at most 2048 strings')],
    { error: 'must be a string or an array of strings (token arrays are not supported)' },
  ),
  dimensions: z.number().int('must be a whole number').positive('must be at least 1').max(8192).optional(),
  encoding_format: z.enum(['float', 'base64'], { error: 'must be float or base64' }).optional(),
  user: z.string().max(256, 'must be at most 256 characters').optional(),
});

export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequestSchema>;

export interface EmbeddingsResponse {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: number[] | string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** OpenAI's base64 format: little-endian float32s. */
export function toBase64(vector: readonly number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}
