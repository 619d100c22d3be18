import type { PgBoss } from 'pg-boss'
import type pg from 'pg'

export interface HealthDeps {
  pool: pg.Pool
  boss: PgBoss
  /** True once shutdown has begun: readiness fails so load balancers stop sending traffic. */
  isDraining: () => boolean
}

const CHECK_TIMEOUT_MS = 2_000

/** Whether this instance can serve: the database and the job queue answer, and it is not shutting down. */
export function createHealthService({ pool, boss, isDraining }: HealthDeps) {
  return {
    /** Each check's verdict ('ok', 'failed' or 'draining'); why one failed goes to `onError`. */
    async readiness(onError: (check: string, error: unknown) => void): Promise<Record<string, string>> {
      return {
        database: await probe(
          async () => {
            await pool.query('select 1')
          },
          (error) => onError('database', error),
        ),
        jobs: await probe(
          async () => {
            if (!(await boss.isInstalled())) throw new Error('pg-boss schema missing')
          },
          (error) => onError('jobs', error),
        ),
        ...(isDraining() ? { shutdown: 'draining' } : {}),
      }
    },
  }
}

export type HealthService = ReturnType<typeof createHealthService>

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
