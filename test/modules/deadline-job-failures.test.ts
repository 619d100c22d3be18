// Deadline jobs that fail (issue 17, finding 2): one failing handoff used to fail its whole
// batch of ten, and every job was retried 20 times a second apart. Now each job is settled
// on its own and retried with backoff; the queue's options reach databases made before.
import t from 'tap'
import { createQueues } from '../../src/jobs/index.ts'
import { handoffHarness } from '../helpers/handoffs.ts'
import { waitFor } from '../helpers/wait.ts'

interface JobRow {
  id: string
  state: string
  retry_count: number
  output: { message?: string } | null
  start_after: Date
}
const jobOf = async (h: Awaited<ReturnType<typeof handoffHarness>>, id: string) =>
  (
    await h.sql<JobRow>("select id, state, retry_count, output, start_after from pgboss.job where name = 'handoff-deadline' and id = $1", [
      id,
    ])
  )[0]

t.test('one failing handoff is retried with backoff; the others in its batch complete once', async (t) => {
  const h = await handoffHarness(t, { realTime: true, env: { AUTO_AWAY_AFTER: '0' } })
  const { teamId } = await h.setup(4)
  await h.routeTo(teamId, 1)
  // Together, so they fall due together and are fetched in one batch.
  const posted = await Promise.all([h.postLead(), h.postLead(), h.postLead()])
  const [broken, ...fine] = posted.map((p) => p.handoff)
  await h.sql(`create function fail_broken() returns trigger language plpgsql as $$ begin
    if old.id = '${broken.id}' and new.status = 'expired' then raise exception 'broken handoff'; end if; return new; end $$`)
  await h.sql('create trigger fail_broken before update on handoffs for each row execute function fail_broken()')

  const retried = await waitFor(async () => {
    const job = await jobOf(h, broken.id)
    return job && job.retry_count >= 2 && job.state === 'retry' ? job : undefined
  }, 15_000)
  t.ok(retried, 'the failing job is retried')
  t.match(retried?.output, { message: /broken handoff/ }, 'its failure is recorded on the job')
  for (const handoff of fine) {
    const job = await jobOf(h, handoff.id)
    t.match(job, { state: 'completed', retry_count: 0 }, 'a handoff beside it: its job completed at the first attempt')
    t.equal((await h.sql('select status from handoffs where id = $1', [handoff.id]))[0].status, 'expired')
  }
  const [queue] = await h.sql<{ retry_backoff: boolean; retry_delay_max: number }>(
    "select retry_backoff, retry_delay_max from pgboss.queue where name = 'handoff-deadline'",
  )
  t.match(queue, { retry_backoff: true, retry_delay_max: 300 }, 'the queue backs off, up to 5 minutes between tries')
  const [attemptsSoFar] = await h.sql<{ retry_count: number }>('select retry_count from pgboss.job where id = $1', [broken.id])
  t.ok(attemptsSoFar!.retry_count < 8, `backing off: ${attemptsSoFar!.retry_count} retries in the first seconds, not one a second`)

  await h.sql('drop trigger fail_broken on handoffs')
  const expired = await waitFor(
    async () => (await h.sql('select status from handoffs where id = $1', [broken.id]))[0].status === 'expired',
    20_000,
  )
  t.ok(expired, 'mended, its next retry expires it')
})

t.test('a queue made by an older version gets the current retry options at start', async (t) => {
  const h = await handoffHarness(t)
  const boss = h.baton.deps.boss
  await boss.updateQueue('handoff-deadline', { retryBackoff: false, retryDelayMax: null, retryLimit: 20, retryDelay: 1 })
  const [before] = await h.sql("select retry_backoff from pgboss.queue where name = 'handoff-deadline'")
  t.equal(before.retry_backoff, false, 'as an older release left it')
  await createQueues(boss)
  const [after] = await h.sql("select retry_backoff, retry_delay_max from pgboss.queue where name = 'handoff-deadline'")
  t.match(after, { retry_backoff: true, retry_delay_max: 300 })
})
