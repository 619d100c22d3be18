import createError from '@fastify/error'

/** One entry of a problem's `errors[]`: where (a JSON Pointer into `in`) and what is wrong. */
export interface FieldError {
  in: 'body' | 'query' | 'path' | 'header'
  pointer: string
  detail: string
}

// The error code (minus the BATON_ prefix, lower-cased) becomes the problem's `code`
// and its `type` URN, so clients can branch on it without parsing prose.
export const NotFound = createError<'BATON_NOT_FOUND', 404, [string]>('BATON_NOT_FOUND', '%s', 404)
export const Conflict = createError<'BATON_CONFLICT', 409, [string]>('BATON_CONFLICT', '%s', 409)
export const Unprocessable = createError<'BATON_UNPROCESSABLE', 422, [string]>('BATON_UNPROCESSABLE', '%s', 422)
export const ValidationFailed = createError<'BATON_VALIDATION_FAILED', 422, [string]>('BATON_VALIDATION_FAILED', '%s', 422)
export const BadRequest = createError<'BATON_BAD_REQUEST', 400, [string]>('BATON_BAD_REQUEST', '%s', 400)
export const Unauthorized = createError<'BATON_UNAUTHORIZED', 401, [string]>('BATON_UNAUTHORIZED', '%s', 401)
export const Forbidden = createError<'BATON_FORBIDDEN', 403, [string]>('BATON_FORBIDDEN', '%s', 403)

type PointedError = Omit<FieldError, 'in'> & { in?: FieldError['in'] }

/** Attaches the problem's `errors[]` (JSON Pointers into the body unless `in` says otherwise). */
export function withFieldErrors<E extends Error>(error: E, errors: PointedError[]): E & { errors: FieldError[] } {
  return Object.assign(error, { errors: errors.map((e) => ({ in: e.in ?? 'body', pointer: e.pointer, detail: e.detail })) })
}

/** A 422 whose `errors[]` points at each offending field of the request body. */
export function invalidFields(detail: string, errors: PointedError[]) {
  return withFieldErrors(new ValidationFailed(detail), errors)
}

/** Attaches extra problem members (e.g. `conflicts`) to an error for the problem handler. */
export function withProblemMembers<E extends Error>(error: E, members: Record<string, unknown>): E {
  return Object.assign(error, { problemMembers: members })
}
