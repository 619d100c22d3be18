// A database restart or failover is not a bug in the request: 503 problem+json with
// Retry-After, whatever shape the driver's error takes (the drill restarts PostgreSQL
// under load for the real thing; these are the shapes it produced).
import t from 'tap'
import { isDatabaseUnavailable } from '../../src/db/errors.ts'
import { buildTestApp } from '../helpers/app.ts'

const OUTAGES: Array<[string, unknown]> = [
  [
    '57P01 terminating connection due to administrator command',
    Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
  ],
  ['57P03 the database system is shutting down', Object.assign(new Error('the database system is shutting down'), { code: '57P03' })],
  ['08006 connection failure', Object.assign(new Error('connection failure'), { code: '08006' })],
  ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
  ['pg: Connection terminated unexpectedly', new Error('Connection terminated unexpectedly')],
  [
    'drizzle wrapping a refused connection',
    Object.assign(new Error('Failed query: select 1'), {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    }),
  ],
  ['the rollback after a lost connection', new Error('Client has encountered a connection error and is not queryable')],
]

t.test('database outages answer 503 with Retry-After', async (t) => {
  const baton = await buildTestApp(t)
  const thrown = new Map<string, unknown>(OUTAGES)
  baton.app.get('/outage/:n', { config: { auth: 'public' } }, async (request) => {
    throw thrown.get(OUTAGES[Number((request.params as { n: string }).n)]![0])
  })
  baton.app.get('/bug', { config: { auth: 'public' } }, async () => {
    throw Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' })
  })
  for (const [n, [label]] of OUTAGES.entries()) {
    const res = await baton.app.inject({ method: 'GET', url: `/outage/${n}` })
    t.equal(res.statusCode, 503, label)
    t.equal(res.headers['retry-after'], '2', `${label}: Retry-After`)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.equal(res.json().code, 'database_unavailable', `${label}: code`)
  }
  const bug = await baton.app.inject({ method: 'GET', url: '/bug' })
  t.equal(bug.statusCode, 500, 'any other database error is still a 500')
  t.equal(bug.headers['retry-after'], undefined)
})

t.test('what is not an outage', async (t) => {
  t.notOk(isDatabaseUnavailable(Object.assign(new Error('x'), { code: '23505' })), 'a constraint')
  t.notOk(isDatabaseUnavailable(Object.assign(new Error('x'), { code: '40P01' })), 'a deadlock (a bug to fix, not a restart)')
  t.notOk(isDatabaseUnavailable(new Error('Cannot read properties of undefined')), 'a programming error')
  t.notOk(isDatabaseUnavailable(null))
  t.ok(isDatabaseUnavailable(Object.assign(new Error('too many connections'), { code: '53300' })), 'too many connections')
})
