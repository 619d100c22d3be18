// prepared.query and prepared.sql: drizzle builds the SQL at the first run only; later runs fill in the
// placeholders and map the rows exactly as drizzle's own queries do.
import { eq, getTableColumns, sql } from 'drizzle-orm'
import t from 'tap'
import { prepared, useGenericPlans } from '../../src/db/prepared.ts'
import { createDb, type Queryable } from '../../src/db/client.ts'
import { reps } from '../../src/db/schema/index.ts'
import { createTestDatabase } from '../helpers/db.ts'

t.test('built once, filled in every run, rows as drizzle maps them', async (t) => {
  const { url, drop } = await createTestDatabase()
  const { db, pool } = createDb(url, { max: 2 })
  t.teardown(async () => {
    await pool.end()
    await drop()
  })
  const at = new Date('2026-01-05T09:00:00.123Z')
  for (const [id, name] of [
    ['a0000000-0000-7000-8000-000000000001', 'Ada'],
    ['b0000000-0000-7000-8000-000000000002', 'Bo'],
  ] as const) {
    await db.insert(reps).values({ id, name, email: `${name.toLowerCase()}@baton.example`, timezone: 'UTC', createdAt: at, updatedAt: at })
  }
  const columns = getTableColumns(reps)
  let builds = 0
  const find = prepared.query<typeof reps.$inferSelect>(
    columns,
    (q, returns) => (
      builds++,
      q
        .select(returns)
        .from(reps)
        .where(eq(reps.id, sql.placeholder('id')))
    ),
  )
  const [ada] = await find(db, { id: 'a0000000-0000-7000-8000-000000000001' })
  const [bo] = await db.transaction(async (tx) => find(tx, { id: 'b0000000-0000-7000-8000-000000000002' }))
  const [drizzles] = await db.select().from(reps).where(eq(reps.id, 'b0000000-0000-7000-8000-000000000002'))
  t.equal(ada?.name, 'Ada')
  t.same(bo, drizzles, 'the same row, mapped the same (camelCase, dates), inside a transaction too')
  t.ok(bo?.createdAt instanceof Date && bo.createdAt.getTime() === at.getTime(), 'timestamps come back as dates')
  t.same(await find(db, { id: '01900000-0000-7000-8000-000000000000' }), [], 'nothing for an unknown id')
  t.equal(builds, 1, 'the query was built once for three runs')

  // Grouped: a join's tables each under their key, as drizzle's own select with the same groups.
  const grouped = { rep: columns, extra: { shout: sql<string>`upper(${reps.name})`.mapWith(String), id: reps.id } }
  const findGrouped = prepared.query<{ rep: typeof reps.$inferSelect; extra: { shout: string; id: string } }, typeof grouped>(
    grouped,
    (q, returns) =>
      q
        .select(returns)
        .from(reps)
        .where(eq(reps.id, sql.placeholder('id'))),
  )
  const [both] = await findGrouped(db, { id: 'b0000000-0000-7000-8000-000000000002' })
  t.same(
    both,
    (await db.select(grouped).from(reps).where(eq(reps.id, 'b0000000-0000-7000-8000-000000000002')))[0],
    'the same nested row as drizzle gives',
  )
  t.match(both, { rep: { name: 'Bo', createdAt: Date }, extra: { shout: 'BO', id: 'b0000000-0000-7000-8000-000000000002' } })

  let rawBuilds = 0
  const count = prepared.sql<{ n: number }>(
    () => (rawBuilds++, sql`select count(*)::int as n from reps where name = any(${sql.placeholder('names')}::text[])`),
  )
  t.same(await count(db, { names: ['Ada', 'Bo'] }), [{ n: 2 }])
  t.same(await count(db, { names: ['Bo'] }), [{ n: 1 }], 'an array placeholder, filled again')
  t.equal(rawBuilds, 1)

  // Per shape: each set of columns its own statement; nulls written as null, left-out columns defaulted.
  const insert = prepared.write<typeof reps.$inferSelect>(columns, columns, (q, given, returns) =>
    q
      .insert(reps)
      .values(given as never)
      .returning(returns),
  )
  const update = prepared.write<typeof reps.$inferSelect>(columns, columns, (q, given, returns) =>
    q
      .update(reps)
      .set(given)
      .where(eq(reps.id, sql.placeholder('whereId')))
      .returning(returns),
  )
  const [cy] = await insert(db, {
    id: 'c0000000-0000-7000-8000-000000000003',
    name: 'Cy',
    email: 'cy@baton.example',
    timezone: 'UTC',
    maxPending: null,
    createdAt: at,
    updatedAt: at,
  })
  t.match(
    cy,
    { name: 'Cy', status: 'available', maxPending: null, workingHours: null },
    'left-out columns take their defaults, nulls stay null',
  )
  const [capped] = await update(db, { maxPending: 3 }, { whereId: cy!.id })
  const [away] = await update(
    db,
    { status: 'away', maxPending: null, updatedAt: new Date('2026-01-06T00:00:00.000Z') },
    { whereId: cy!.id },
  )
  t.same(
    [capped?.maxPending, away?.maxPending, away?.status, away?.updatedAt.toISOString()],
    [3, null, 'away', '2026-01-06T00:00:00.000Z'],
    'two shapes, each its own statement',
  )
  const [again] = await update(db, { maxPending: 5 }, { whereId: cy!.id })
  t.equal(again?.maxPending, 5, 'a shape seen before runs again with new values')
  const [reordered] = await update(db, { maxPending: 6, status: 'available' }, { whereId: cy!.id })
  t.same([reordered?.maxPending, reordered?.status], [6, 'available'], 'the same columns in another order: the same statement')
  await t.rejects(update(db, { nickname: 'C' }, { whereId: cy!.id }), /"nickname" is not a column/)
  await t.rejects(update(db, { name: 'C' }, { whereId: cy!.id, name: 'x' }), /"name" is also a placeholder/)
  await t.rejects(update(db, { name: sql`upper(name)` }, { whereId: cy!.id }), /"name" must be a value, not SQL/)
})

t.test('useGenericPlans: generic plans for the rest of the transaction, and only for it', async (t) => {
  const { url, drop } = await createTestDatabase()
  const { db, pool } = createDb(url, { max: 1 })
  t.teardown(async () => {
    await pool.end()
    await drop()
  })
  const mode = async (q: Queryable) =>
    (await q.execute<{ mode: string }>(sql`select current_setting('plan_cache_mode') as mode`)).rows[0]!.mode
  const inside = await db.transaction(async (tx) => {
    const before = await mode(tx)
    await useGenericPlans(tx)
    return [before, await mode(tx)]
  })
  t.same(inside, ['auto', 'force_generic_plan'], 'switched by the call, not before it')
  t.equal(await mode(db), 'auto', 'the same connection plans as before once the transaction ends')
})
