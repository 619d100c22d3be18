import t from 'tap'
import { buildApp } from '../../src/app.ts'
import { createDb } from '../../src/db/client.ts'
import { createServices } from '../../src/services.ts'
import { buildTestApp } from '../helpers/app.ts'

t.test('health', async (t) => {
  const baton = await buildTestApp(t)

  t.test('/healthz: the process is up', async (t) => {
    const res = await baton.app.inject({ url: '/healthz' })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { status: 'ok' })
  })

  t.test('/readyz: database and jobs answer', async (t) => {
    const res = await baton.app.inject({ url: '/readyz' })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { status: 'ok', checks: { database: 'ok', jobs: 'ok' } })
  })

  t.test('/readyz: 503 when the database is unreachable, without saying where it is', async (t) => {
    // Nothing listens on port 1: every query is refused.
    const unreachable = createDb('postgresql://x:y@127.0.0.1:1/none')
    const deps = { ...baton.deps, pool: unreachable.pool, db: unreachable.db }
    const app = await buildApp({ ...deps, services: createServices(deps), signingSecret: undefined })
    t.teardown(async () => {
      await app.close()
      await unreachable.pool.end()
    })
    const res = await app.inject({ url: '/readyz' })
    t.equal(res.statusCode, 503)
    t.match(res.json(), { status: 'unavailable', checks: { database: 'failed', jobs: 'ok' } })
    t.notOk(res.json().checks.shutdown, 'not draining')
    for (const leak of ['127.0.0.1', 'ECONNREFUSED', 'postgresql://', 'none'])
      t.notOk(res.body.includes(leak), `the body does not mention ${leak}`)
    t.equal((await app.inject({ url: '/healthz' })).statusCode, 200, 'liveness does not depend on the database')
  })

  t.test('/readyz: 503 while draining for shutdown', async (t) => {
    let draining = false
    const app = await buildApp({
      ...baton.deps,
      services: createServices({ ...baton.deps, isDraining: () => draining }),
      signingSecret: undefined,
    })
    t.teardown(() => app.close())
    t.equal((await app.inject({ url: '/readyz' })).statusCode, 200, 'ready before shutdown begins')
    draining = true
    const res = await app.inject({ url: '/readyz' })
    t.equal(res.statusCode, 503)
    t.same(res.json(), { status: 'unavailable', checks: { database: 'ok', jobs: 'ok', shutdown: 'draining' } })
  })
})
