// Index builds on growing tables run CONCURRENTLY, outside drizzle's one migration
// transaction (issue 17, finding 14); an interrupted build is repaired, not kept invalid.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import t, { type Test } from 'tap'
import { buildConcurrentIndexes } from '../../src/db/concurrent-indexes.ts'
import { createTestDatabase } from '../helpers/db.ts'

async function connected(t: Test) {
  const { url, drop } = await createTestDatabase()
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const folder = await mkdtemp(path.join(os.tmpdir(), 'baton-concurrent-'))
  t.teardown(async () => {
    await client.end()
    await drop()
    await rm(folder, { recursive: true, force: true })
  })
  const indexes = async (table: string) =>
    (
      await client.query<{ name: string; valid: boolean; definition: string }>(
        `select c.relname as name, i.indisvalid as valid, pg_get_indexdef(i.indexrelid) as definition
       from pg_index i join pg_class c on c.oid = i.indexrelid join pg_class r on r.oid = i.indrelid where r.relname = $1 order by 1`,
        [table],
      )
    ).rows
  return { client, folder, indexes }
}

t.test('the migrated database has the backstop indexes, valid and partial', async (t) => {
  const { indexes } = await connected(t)
  t.match(
    (await indexes('handoffs')).find((i) => i.name === 'handoffs_pending_deadline_idx'),
    { valid: true, definition: /\(deadline_at\) WHERE \(status = 'pending'::text\)/ },
  )
  t.match(
    (await indexes('tasks')).find((i) => i.name === 'tasks_overdue_unannounced_idx'),
    { valid: true, definition: /\(due_at\) WHERE \(\(status = 'open'::text\) AND \(overdue_at IS NULL\)\)/ },
  )
})

t.test('builds concurrently, once; a build cut off is dropped and built again', async (t) => {
  const { client, folder, indexes } = await connected(t)
  await client.query('create table samples (x int)')
  await client.query('insert into samples values (1), (1), (2)')
  await writeFile(
    path.join(folder, '0001_samples.sql'),
    [
      '-- a comment line is skipped',
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS "samples_x_idx" ON "samples" ("x");',
      'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "samples_x_unique" ON "samples" ("x");',
    ].join('\n'),
  )

  // A unique build over duplicates fails part-way, as a crash would, and leaves an INVALID index behind.
  await t.rejects(buildConcurrentIndexes(client, folder), /could not create unique index/)
  t.match(
    await indexes('samples'),
    [
      { name: 'samples_x_idx', valid: true },
      { name: 'samples_x_unique', valid: false },
    ],
    'the interrupted build left an invalid index',
  )

  await client.query('delete from samples where ctid = (select max(ctid) from samples where x = 1)')
  t.strictSame(await buildConcurrentIndexes(client, folder), ['samples_x_unique'], 'run again: only the invalid one is rebuilt')
  t.match(await indexes('samples'), [
    { name: 'samples_x_idx', valid: true },
    { name: 'samples_x_unique', valid: true },
  ])
  t.strictSame(await buildConcurrentIndexes(client, folder), [], 'and a third run has nothing to do')
})

t.test('a statement that is not a concurrent index build is refused before it runs', async (t) => {
  const { client, folder } = await connected(t)
  await writeFile(path.join(folder, '0001_bad.sql'), 'CREATE INDEX "plain_idx" ON "leads" ("email");\n')
  await t.rejects(buildConcurrentIndexes(client, folder), /only CREATE INDEX CONCURRENTLY IF NOT EXISTS statements belong/)
  const { rows } = await client.query("select 1 from pg_class where relname = 'plain_idx'")
  t.equal(rows.length, 0, 'nothing was built')
  t.strictSame(await buildConcurrentIndexes(client, path.join(folder, 'missing')), [], 'no folder: nothing to do')
})
