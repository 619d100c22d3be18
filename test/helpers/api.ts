import type { LightMyRequestResponse } from 'fastify'
import type { Role } from '../../src/lib/auth-keys.ts'
import type { TestApp } from './app.ts'

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/**
 * Requests and queries against a test Baton. Tokens are signed afresh for each request:
 * tests move the clock past a token's lifetime.
 */
export function apiClient(baton: TestApp) {
  const call = async (method: Method, url: string, payload?: object, role: Role = 'admin', sub?: string): Promise<LightMyRequestResponse> =>
    baton.app.inject({ method, url, headers: await baton.auth(role, sub), ...(payload === undefined ? {} : { payload }) })
  /** The answer's JSON (undefined for an empty body), or a thrown error naming what came back instead of `status`. */
  const ok = async (method: Method, url: string, payload: object | undefined, status: number, role: Role = 'admin', sub?: string) => {
    const res = await call(method, url, payload, role, sub)
    if (res.statusCode !== status) throw new Error(`${method} ${url}: expected ${status}, got ${res.statusCode} ${res.body}`)
    return res.body === '' ? undefined : res.json()
  }
  // Rows as node-postgres gives them; a test names the type it expects when it cares.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const sql = async <R = any>(text: string, params: unknown[] = []): Promise<R[]> => (await baton.deps.pool.query(text, params)).rows as R[]
  return { call, ok, sql }
}
