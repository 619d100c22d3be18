// `npm run migrate` on an empty database: drizzle and pg-boss migrations, under an
// advisory lock, idempotent, and a non-zero exit whenever it could not do its job.
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import pg from 'pg'
import t from 'tap'
import { ROOT, runScript, type ScriptResult } from '../helpers/run-script.ts'
import { createEmptyDatabase } from '../helpers/db.ts'

const MIGRATIONS = path.join(ROOT, 'migrations')
const TABLES = ['account_domains', 'accounts', 'reps', 'team_members', 'teams']

/** Runs the script with DATABASE_URL as the only Baton variable. */
function migrate(databaseUrl: string): Promise<ScriptResult> {
  return runScript(t, 'scripts/migrate.ts', [], { DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' })
}

/** What drizzle records for a migration file: the sha256 of its SQL. */
async function migrationHashes(): Promise<string[]> {
  const files = (await readdir(MIGRATIONS)).filter((file) => file.endsWith('.sql')).sort()
  return Promise.all(
    files.map(async (file) =>
      createHash('sha256')
        .update(await readFile(path.join(MIGRATIONS, file), 'utf8'))
        .digest('hex'),
    ),
  )
}

// The two groups touch different databases: run them side by side.
t.jobs = 2

t.test('on an empty database', async (t) => {
  const { url, drop } = await createEmptyDatabase()
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  t.teardown(async () => {
    await pool.end()
    await drop()
  })
  const query = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => (await pool.query<R>(sql, params)).rows

  const state = async () => ({
    tables: (
      await query<{ table_name: string }>(
        `select table_name from information_schema.tables where table_schema = 'public' and table_name = any($1) order by table_name`,
        [TABLES],
      )
    ).map((row) => row.table_name),
    journal: (await query<{ hash: string }>('select hash from drizzle.__drizzle_migrations order by id')).map((row) => row.hash),
    bossSchema: (await query(`select 1 from information_schema.schemata where schema_name = 'pgboss'`)).length === 1,
    bossVersion: (await query<{ version: number }>('select version from pgboss.version'))[0]?.version,
  })

  t.test('three at once: all succeed, and the work is done exactly once', async (t) => {
    const before = await query(`select 1 from information_schema.tables where table_schema = 'public'`)
    t.equal(before.length, 0, 'the database starts empty')

    const results = await Promise.all([migrate(url), migrate(url), migrate(url)])
    results.forEach(({ code, stdout, stderr }, i) => {
      t.equal(code, 0, `process ${i + 1} exits 0`, { stderr })
      t.match(stdout, /migrations applied/, `process ${i + 1} says so`)
    })

    const after = await state()
    t.same(after.tables, TABLES, 'every table exists')
    const hashes = await migrationHashes()
    t.ok(hashes.length >= 1, 'there are migration files')
    t.same([...after.journal].sort(), [...hashes].sort(), 'the journal has exactly one row per migration file')
    t.ok(after.bossSchema, 'the pgboss schema exists')
    t.ok(after.bossVersion, 'pg-boss recorded its schema version')
  })

  t.test('again: exits 0 and changes nothing', async (t) => {
    const before = await state()
    const { code, stderr } = await migrate(url)
    t.equal(code, 0, 'exits 0', { stderr })
    t.same(await state(), before)
  })
})

t.test('failures exit non-zero', async (t) => {
  t.test('a database that does not answer', async (t) => {
    const { code, stdout, stderr } = await migrate('postgresql://x:y@127.0.0.1:1/none')
    t.not(code, 0, 'exits non-zero')
    t.notMatch(stdout, /migrations applied/, 'does not claim success')
    t.match(stderr, /ECONNREFUSED|connect/i, 'says it could not connect')
  })

  t.test('a DATABASE_URL that is not PostgreSQL', async (t) => {
    const { code, stdout, stderr } = await migrate('mysql://x')
    t.equal(code, 1, 'exits 1')
    t.equal(stdout, '')
    t.match(stderr, /DATABASE_URL/, 'names DATABASE_URL')
    t.equal(stderr.trim().split('\n').length, 1, 'in one line')
  })
})
