import type { z } from 'zod';
import { ValidationError } from './errors.js';

/**
 * Validates `input` with one of the exported schemas; a failure is a ValidationError listing every
 * issue by its dotted path. The facade and the HTTP server both validate through this, so a bad
 * request reads the same whether it came through the library or over HTTP.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  const first = issues[0];
  throw new ValidationError(first ? `Invalid ${first.path || 'input'}: ${first.message}` : 'Invalid input', issues);
}
