import pg from 'pg'
import t, { type Test } from 'tap'
import { PreparingClient, createDb } from '../../src/db/client.ts'
import { loadConfig } from '../../src/config.ts'
import { createBoss } from '../../src/lib/boss.ts'
import { createTestDatabase } from '../helpers/db.ts'

/** One connection (max 1), so the prepared statements seen are this pool's. */
async function onePool(t: Test) {
  const { url, drop } = await createTestDatabase()
  const pool = new pg.Pool({ connectionString: url, max: 1, Client: PreparingClient })
  t.teardown(async () => {
    await pool.end()
    await drop()
  })
  const prepared = async () =>
    (await pool.query<{ statement: string }>('select statement from pg_prepared_statements')).rows.map((r) => r.statement)
  return { url, pool, prepared }
}

t.test('a statement run three times is prepared on its connection; one run once is not', async (t) => {
  const { pool, prepared } = await onePool(t)
  const hot = 'select $1::int + 41 as answer'
  for (let i = 0; i < 3; i++) t.same((await pool.query(hot, [1])).rows, [{ answer: 42 }])
  await pool.query('select $1::int + 99 as once', [1])
  const statements = await prepared()
  t.ok(statements.includes(hot), 'the hot text is a prepared statement')
  t.notOk(
    statements.some((s) => s.includes('+ 99')),
    'the one-off text is not',
  )
  t.same((await pool.query(hot, [2])).rows, [{ answer: 43 }], 'and it keeps answering with new values')
})

t.test('a prepared statement whose result changed under it fails once, then runs unnamed on that connection', async (t) => {
  const { url, pool } = await onePool(t)
  await pool.query('create table widgets (id int primary key, name text)')
  await pool.query("insert into widgets values (1, 'a')")
  const read = 'select * from widgets where id = $1'
  for (let i = 0; i < 3; i++) await pool.query(read, [1])
  // A migration from another connection while this one holds the prepared statement.
  const other = new pg.Client({ connectionString: url })
  await other.connect()
  await other.query('alter table widgets add column size int')
  await other.end()
  const failed = await pool.query(read, [1]).then(
    () => undefined,
    (error: { code?: string }) => error.code,
  )
  t.equal(failed, '0A000', 'PostgreSQL refuses the stale plan once (cached plan must not change result type)')
  t.same((await pool.query(read, [1])).rows, [{ id: 1, name: 'a', size: null }], 'the next call reads the new columns')
})

t.test('DATABASE_PREPARED_STATEMENTS=false: plain connections, nothing prepared, for pg-boss too', async (t) => {
  t.equal(loadConfig({}).preparedStatements, true, 'on by default')
  t.equal(loadConfig({ DATABASE_PREPARED_STATEMENTS: 'false' }).preparedStatements, false)
  const { url, drop } = await createTestDatabase()
  const { pool } = createDb(url, { max: 1, prepare: false })
  const boss = createBoss(url, { role: 'api', prepare: false })
  boss.on('error', () => {})
  t.teardown(async () => {
    await boss.stop({ graceful: false, timeout: 5_000 })
    await pool.end()
    await drop()
  })
  for (let i = 0; i < 5; i++) await pool.query('select $1::int + 41 as answer', [1])
  t.same((await pool.query('select name from pg_prepared_statements')).rows, [], 'a text run five times is not prepared')
  await boss.start()
  t.equal((boss.getDb() as unknown as { pool: { Client: unknown } }).pool.Client, pg.Client, "pg-boss's pool makes plain connections")
})
