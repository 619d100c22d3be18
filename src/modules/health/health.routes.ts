import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { PgBoss } from 'pg-boss'
import type pg from 'pg'

const Status = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  checks: Type.Optional(Type.Record(Type.String(), Type.Union([Type.Literal('ok'), Type.String()]))),
})

export interface HealthDeps {
  pool: pg.Pool
  boss: PgBoss
  /** True once shutdown has begun: readiness fails so load balancers stop sending traffic. */
  isDraining: () => boolean
}

const CHECK_TIMEOUT_MS = 2_000

/** /healthz: the process is up. /readyz: the database and the job queue answer. */
export const healthRoutes: FastifyPluginAsyncTypebox<HealthDeps> = async (app, { pool, boss, isDraining }) => {
  const common = { tags: ['operations'], security: [] }

  app.get('/healthz', { config: { auth: 'public' }, schema: { ...common, response: { 200: Status } } }, async () => ({ status: 'ok' as const }))

  app.get('/readyz', { config: { auth: 'public' }, schema: { ...common, response: { 200: Status, 503: Status } } }, async (request, reply) => {
    const log = (check: string) => (error: unknown) => request.log.warn({ err: error, check }, 'readiness check failed')
    const checks = {
      database: await probe(async () => { await pool.query('select 1') }, log('database')),
      jobs: await probe(async () => { if (!(await boss.isInstalled())) throw new Error('pg-boss schema missing') }, log('jobs')),
      ...(isDraining() ? { shutdown: 'draining' } : {}),
    }
    const ready = Object.values(checks).every((value) => value === 'ok')
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks })
  })
}

// The public answer says only which check failed; the reason goes to the log.
async function probe(check: () => Promise<void>, onError: (error: unknown) => void): Promise<string> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS)
  })
  try {
    await Promise.race([check(), timeout])
    return 'ok'
  } catch (error) {
    onError(error)
    return 'failed'
  } finally {
    clearTimeout(timer)
  }
}
