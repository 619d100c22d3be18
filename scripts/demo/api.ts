// The demo talks to Baton the way an integrator does: JSON over HTTP with a bearer token.
import { signToken, type Role } from '../../src/lib/auth-keys.ts'

/** A non-2xx answer, with the problem+json body Baton sent. */
export class ApiError extends Error {
  override name = 'ApiError'
  status: number
  body: string

  constructor(method: string, path: string, status: number, body: string) {
    super(`${method} ${path} answered ${status}: ${body.slice(0, 500)}`)
    this.status = status
    this.body = body
  }
}

/** Calls one route as one caller; `headers` adds e.g. an Idempotency-Key. */
export type Call = <T>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<T>

/** A client per caller: `as('admin')`, `as('integration')`, `as('rep', repId)`. */
export interface Api {
  base: string
  as(role: Role, sub?: string): Call
}

/** Tokens are signed once per caller, exactly as `npm run token` would sign them. */
export function createApi(base: string, secret: Uint8Array): Api {
  const tokens = new Map<string, Promise<string>>()
  const tokenFor = (role: Role, sub?: string) => {
    const key = `${role}:${sub ?? ''}`
    let token = tokens.get(key)
    if (!token) {
      token = signToken(secret, { role, ttl: '2h', ...(sub ? { sub } : {}) })
      tokens.set(key, token)
    }
    return token
  }
  return {
    base,
    as:
      (role, sub) =>
      async <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
        const res = await fetch(`${base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${await tokenFor(role, sub)}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...headers,
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        })
        const text = await res.text()
        if (!res.ok) throw new ApiError(method, path, res.status, text)
        return (text ? JSON.parse(text) : undefined) as T
      },
  }
}
