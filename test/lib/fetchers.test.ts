import pg from 'pg'
import t, { type Test } from 'tap'
import { PreparingClient } from '../../src/db/client.ts'
import { BOSS_SCHEMA, createBoss } from '../../src/lib/boss.ts'
import { bossNotifyChannel, createFetchers } from '../../src/lib/fetchers.ts'
import { createTestDatabase } from '../helpers/db.ts'
import { waitFor } from '../helpers/wait.ts'

const QUEUE = 'fetchers-test'
// Long enough that anything fetched within a test was fetched because of a wake-up.
const POLL_SECONDS = 30

/** A pg-boss of its own on a fresh database, counting the fetches its workers make. */
async function startBoss(t: Test) {
  const { url, drop } = await createTestDatabase()
  const boss = createBoss(url, { role: 'worker' })
  boss.on('error', () => {})
  await boss.start()
  await boss.createQueue(QUEUE, { notify: true })
  const db = boss.getDb()
  const executeSql = db.executeSql.bind(db)
  const fetchedAt: number[] = []
  db.executeSql = (text, values) => {
    if (/SKIP LOCKED/i.test(text) && text.includes(QUEUE)) fetchedAt.push(performance.now())
    return executeSql(text, values)
  }
  const wake = createFetchers(boss, BOSS_SCHEMA)
  t.teardown(async () => {
    await wake.close()
    await boss.stop({ graceful: false, timeout: 5_000 })
    await drop()
  })
  return { boss, url, wake, fetches: () => fetchedAt.length, fetchedAt }
}

/** Lets a handler run until the test releases it. */
function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { open, opened }
}

t.test("the channel is pg-boss's: a job on a notify queue is announced on it with the queue's name", async (t) => {
  const { boss, url } = await startBoss(t)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  t.teardown(() => client.end())
  const heard: string[] = []
  client.on('notification', (message) => heard.push(message.payload ?? ''))
  await client.query(`listen "${bossNotifyChannel(BOSS_SCHEMA)}"`)
  await boss.send(QUEUE, {})
  t.same(await waitFor(async () => (heard.length ? heard : undefined), 5_000), [QUEUE])
})

t.test('one job wakes one fetcher: one fetch, not one per fetcher, and the job runs at once', async (t) => {
  const { boss, wake, fetches } = await startBoss(t)
  const ran: Array<{ at: number }> = []
  await wake.work(QUEUE, { fetchers: 4, pollingIntervalSeconds: POLL_SECONDS }, async () => {
    ran.push({ at: Date.now() })
  })
  await wake.listen()
  // Every fetcher fetches once as it starts, then sleeps for the polling interval.
  await waitFor(async () => fetches() >= 4, 5_000)
  await new Promise((resolve) => setTimeout(resolve, 300))
  const before = fetches()
  const sentAt = Date.now()
  await boss.send(QUEUE, {})
  await waitFor(async () => ran.length === 1, 5_000)
  t.equal(ran.length, 1, 'the job ran')
  t.ok(ran[0]!.at - sentAt < 2_000, `within ${ran[0]!.at - sentAt} ms, not at the next poll ${POLL_SECONDS} s away`)
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(fetches() - before, 1, 'one fetch for one notification')
})

t.test('jobs spread over idle fetchers; one announced while all are busy is fetched by the first to finish', async (t) => {
  const { boss, wake } = await startBoss(t)
  const gates = [gate(), gate(), gate()]
  const running = new Set<number>()
  const done: number[] = []
  await wake.work<{ n: number }>(QUEUE, { fetchers: 2, pollingIntervalSeconds: POLL_SECONDS }, async ([job]) => {
    running.add(job!.data.n)
    await gates[job!.data.n]!.opened
    running.delete(job!.data.n)
    done.push(job!.data.n)
  })
  await wake.listen()
  await new Promise((resolve) => setTimeout(resolve, 300))
  await boss.send(QUEUE, { n: 0 })
  await waitFor(async () => running.has(0), 5_000)
  await boss.send(QUEUE, { n: 1 })
  t.ok(await waitFor(async () => running.has(1), 5_000), 'the second job runs beside the first, on the other fetcher')
  await boss.send(QUEUE, { n: 2 })
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.notOk(running.has(2), 'both fetchers are busy: the third waits')
  const releasedAt = Date.now()
  gates[0]!.open()
  t.ok(await waitFor(async () => running.has(2), 5_000), 'the fetcher that finished took the third at once')
  t.ok(Date.now() - releasedAt < 2_000, 'not at the next poll')
  gates[1]!.open()
  gates[2]!.open()
  t.ok(await waitFor(async () => done.length === 3, 5_000), 'all three ran')
})

t.test('notifications within gatherMs of a wake-up cost one more fetch when it is up, not one each', async (t) => {
  const { boss, wake, fetches } = await startBoss(t)
  const ran: number[] = []
  // 3 s of gathering: the three sends below fall inside it even on a loaded machine.
  await wake.work<{ n: number }>(
    QUEUE,
    { fetchers: 4, gatherMs: 3_000, batchSize: 10, pollingIntervalSeconds: POLL_SECONDS },
    async (jobs) => {
      ran.push(...jobs.map((job) => job.data.n))
    },
  )
  await wake.listen()
  await waitFor(async () => fetches() >= 4, 5_000)
  await new Promise((resolve) => setTimeout(resolve, 300))
  const before = fetches()
  await boss.send(QUEUE, { n: 0 })
  t.ok(await waitFor(async () => ran.includes(0), 2_000), 'the first job is fetched at once, long before any poll')
  for (const n of [1, 2, 3]) await boss.send(QUEUE, { n })
  t.ok(await waitFor(async () => ran.length === 4, 5_000), 'the three that followed are fetched when the gathering time is up')
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(fetches() - before, 2, 'two fetches for four notifications')
})

t.test('closing drops a gathered wake-up that is still waiting', async (t) => {
  const { boss, wake } = await startBoss(t)
  await wake.work(QUEUE, { fetchers: 2, gatherMs: 300, pollingIntervalSeconds: POLL_SECONDS }, async () => {})
  await wake.listen()
  const notifyWorker = boss.notifyWorker.bind(boss)
  const woken: number[] = []
  boss.notifyWorker = (id) => (woken.push(performance.now()), notifyWorker(id))
  await boss.send(QUEUE, {})
  t.ok(await waitFor(async () => woken.length === 1, 2_000), 'the first job woke a fetcher')
  await boss.send(QUEUE, {})
  await new Promise((resolve) => setTimeout(resolve, 100))
  const closedAt = performance.now()
  await wake.close()
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.same(
    woken.filter((at) => at > closedAt),
    [],
    'no fetcher is woken after close',
  )
})

t.test('staggered fetchers poll in turn: as many fetches, spread over the interval instead of together', async (t) => {
  const { wake, fetchedAt } = await startBoss(t)
  await wake.work(QUEUE, { fetchers: 4, staggered: true, pollingIntervalSeconds: 0.5 }, async () => {})
  await new Promise((resolve) => setTimeout(resolve, 1_000))
  const from = fetchedAt.length
  await new Promise((resolve) => setTimeout(resolve, 2_000))
  const window = fetchedAt.slice(from)
  const gaps = window.slice(1).map((at, i) => at - window[i]!)
  t.ok(window.length >= 12 && window.length <= 20, `${window.length} fetches in 2 s: four fetchers, one every 0.5 s each`)
  // Fetchers polling together would show gaps of ~0 and ~500 ms; in turn, ~125 ms each. The
  // 90th percentile tells the two apart; the longest gap may catch a stall of a loaded machine.
  const sorted = [...gaps].sort((a, b) => a - b)
  const p90 = sorted[Math.floor(sorted.length * 0.9)]!
  t.ok(p90 < 300, `90 % of the waits between two fetches are under ${Math.round(p90)} ms, not the whole 500`)
  t.ok(sorted.at(-1)! < 1_000, `the longest is ${Math.round(sorted.at(-1)!)} ms`)
})

t.test("pg-boss's connections prepare their statements like the service's own", async (t) => {
  const { boss } = await startBoss(t)
  await boss.send(QUEUE, {})
  const pool = (boss.getDb() as unknown as { pool: { Client: unknown } }).pool
  t.equal(pool.Client, PreparingClient, 'the pool makes PreparingClient connections')
})
