import * as z from 'zod';
import { FILE_STATES } from '@filesync/core';

/**
 * Every input of the status API, checked before anything reads the catalog: a bad one gets a 400
 * that names the field and what was expected, never a stack trace or a 500.
 */
export const fileIdParams = z.strictObject({
  fileId: z.string().regex(/^[0-9a-f]{32}$/, 'expected a file id of 32 hex digits (see GET /api/files)'),
});

export const fileActionParams = fileIdParams.extend({
  action: z.enum(['retry'], { error: 'expected the action "retry"' }),
});

export const routeActionParams = z.strictObject({
  // Route ids are `source~target1,target2[~n]` built of config ids (see routeIds).
  routeId: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}~[a-z0-9_,-]{1,1000}(~\d+)?$/, 'expected a route id such as "px4~ftp" (see GET /api/overview)'),
  action: z.enum(['pause', 'resume'], { error: 'expected the action "pause" or "resume"' }),
});

const page = {
  q: z.string().max(200, 'search text is at most 200 characters').default(''),
  offset: z.coerce.number({ error: 'expected a number' }).int('expected a whole number').min(0, 'expected 0 or more').max(1_000_000).default(0),
  limit: z.coerce.number({ error: 'expected a number' }).int('expected a whole number').min(1, 'expected 1 to 200').max(200, 'expected 1 to 200').default(25),
  // The page passes its token along in the query; the access check has already read it.
  token: z.string().optional(),
};

export const filesQuery = z.strictObject({
  ...page,
  state: z.enum([...FILE_STATES, 'problems'], { error: `expected one of ${[...FILE_STATES, 'problems'].join(', ')}` }).optional(),
});

export const deliveriesQuery = z.strictObject(page);

/** The value, or the reason it is refused: each problem as `field: message`. */
export function checkInput<T>(schema: z.ZodType<T>, value: unknown): { ok: true; value: T } | { ok: false; reason: string } {
  const result = schema.safeParse(value ?? {});
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, reason: result.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : 'input'}: ${i.message}`).join('; ') };
}
