// The promises the drill holds Baton to, checked against the database, the client's
// answers and what the webhook receiver saw. Each check is one row: ok, or FAIL with
// the evidence (ids, counts) needed to chase it.
import pg from 'pg'
import type { Incident } from './http.ts'
import type { PlannedLead } from './leads.ts'
import type { Submission } from './load.ts'
import type { Receiver } from './receiver.ts'

/** One line of the result table. `ok` undefined: a figure, not a check. */
export interface Row {
  phase: string
  check: string
  ok?: boolean
  detail: string
}

export interface Evidence {
  databaseUrl: string
  planned: PlannedLead[]
  submissions: Submission[]
  receiver: Receiver
  /** 5xx answers and failed connections that no chaos step explains. */
  unexplained: Incident[]
  /** Date.now() when the drill's clock started. */
  wallT0: number
  /** The handoff whose deadline job the drill deleted (the timer backstop must still expire it). */
  lostJob: { handoffId?: string }
}

const LATENESS_BUCKET_S = 20
// src/lib/jobs.ts: a timed job within this of its time counts as on time (clock differences).
const EARLY_TOLERANCE_MS = 1000
const ALLOWED_QUALIFIED = ['pending_acceptance', 'accepted', 'contacted', 'converted', 'unrouted', 'escalated']
const ALLOWED_UNQUALIFIED = ['disqualified', 'nurture']
const sample = (items: unknown[], n = 5) =>
  items.length
    ? ` e.g. ${items
        .slice(0, n)
        .map((i) => JSON.stringify(i))
        .join(', ')}`
    : ''

export async function checkInvariants({
  databaseUrl,
  planned,
  submissions,
  receiver,
  unexplained,
  wallT0,
  lostJob,
}: Evidence): Promise<Row[]> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  const rows: Row[] = []
  const check = (check: string, bad: unknown[], detail: string) =>
    rows.push({ phase: 'invariant', check, ok: bad.length === 0, detail: `${detail}${sample(bad)}` })
  const q = async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) => (await client.query<T>(text, values)).rows
  try {
    // 1. Leads: every 2xx names a lead that exists, once; one lead per email.
    const posted = submissions.filter((s) => s.attempts > 0)
    const unanswered = submissions.flatMap((s, i) => (s.status || !s.attempts ? [] : [{ index: i, failure: s.failure }]))
    check(
      'every posted lead got a 2xx in the end (retried with its Idempotency-Key)',
      unanswered,
      `${posted.length - unanswered.length}/${posted.length}`,
    )
    const answered = new Map<string, Set<string>>()
    submissions.forEach((s, i) => s.leadId && answered.set(planned[i]!.email, (answered.get(planned[i]!.email) ?? new Set()).add(s.leadId)))
    const ids = [...new Set([...answered.values()].flatMap((set) => [...set]))]
    const found = await q<{ id: string; email: string }>('select id, email from leads where id = any($1::uuid[])', [ids])
    const missing = ids.filter((id) => !found.some((row) => row.id === id))
    check('every lead answered 2xx exists (by id)', missing, `${found.length}/${ids.length} ids found`)
    const twoAnswers = [...answered].filter(([, set]) => set.size > 1).map(([email, set]) => ({ email, ids: [...set] }))
    check('one email, one lead id in every answer (dedupe)', twoAnswers, `${answered.size} emails`)
    const twice = await q<{ email: string; n: number }>('select email, count(*)::int as n from leads group by email having count(*) > 1')
    check(
      'no email has two leads in the dedupe window',
      twice,
      `${(await q<{ n: number }>('select count(*)::int as n from leads'))[0]!.n} leads in the database`,
    )

    // 2. Owners: at most one offer waiting and one accepted handoff per lead (both at once only
    // while a reassign offers an owned lead), and the owner is the acceptor.
    const live = await q<{ lead_id: string; status: string; n: number }>(
      `select lead_id, status, count(*)::int as n from handoffs where status in ('pending', 'accepted') group by lead_id, status
       having count(*) > 1`,
    )
    check('no lead has two pending or two accepted handoffs', live, `${live.length} leads with two`)
    const owners = await q<{ id: string; status: string; owner_id: string | null; acceptor: string | null }>(`
      select l.id, l.status, l.owner_id, h.rep_id as acceptor from leads l
      left join handoffs h on h.lead_id = l.id and h.status = 'accepted'
      where (l.owner_id is distinct from h.rep_id) or (l.status in ('accepted', 'contacted', 'converted') and h.id is null)`)
    // A transfer records its target's handoff as accepted at once (rule 'reassign', answered as it was made), so this
    // one query holds transfers too; a released owner's handoff ends 'reassigned'.
    check('owner = the rep whose handoff was accepted, or the target of a transfer', owners, `${owners.length} leads disagree`)
    const [ways] = await q<{ accepted: number; transfers: number; released: number }>(`
      select count(*) filter (where status = 'accepted' and not (rule_name = 'reassign' and responded_at = created_at))::int as accepted,
        count(*) filter (where status = 'accepted' and rule_name = 'reassign' and responded_at = created_at)::int as transfers,
        count(*) filter (where status = 'reassigned')::int as released
      from handoffs`)
    rows.push({
      phase: 'figure',
      check: 'owners by how they got the lead',
      detail: `accepted an offer ${ways!.accepted}, transferred ${ways!.transfers}; owners who let go (reassigned) ${ways!.released}`,
    })
    const deletedHolding = await q<{ id: string; pending: number; open: number }>(`
      select r.id, (select count(*)::int from handoffs h where h.rep_id = r.id and h.status = 'pending') as pending,
        (select count(*)::int from leads l where l.owner_id = r.id and l.status in ('accepted', 'contacted')) as open
      from reps r where r.deleted_at is not null`)
    check(
      'no deleted rep holds a pending offer or owns an open lead',
      deletedHolding.filter((r) => r.pending + r.open > 0),
      `${deletedHolding.length} reps deleted`,
    )
    const loads = await q<{ rep_id: string; pending: number; handoffs: number }>(`
      select w.rep_id, w.pending, (select count(*)::int from handoffs h where h.rep_id = w.rep_id and h.status = 'pending') as handoffs
      from rep_workload w where w.pending <> (select count(*) from handoffs h where h.rep_id = w.rep_id and h.status = 'pending')`)
    check("each rep's pending load is its pending handoffs (claims and releases add up)", loads, `${loads.length} reps off`)

    // 3. Where leads ended.
    // Qualified once (a lead.qualified event): a later re-score may lower `qualified`, but the status stays (README, Deduplication).
    const ended = await q<{ qualified: boolean; status: string; n: number }>(`
      select exists (select 1 from events e where e.lead_id = l.id and e.type = 'lead.qualified') as qualified, status, count(*)::int as n
      from leads l group by 1, 2 order by 1 desc, 3 desc`)
    const wrong = ended.filter((r) => !(r.qualified ? ALLOWED_QUALIFIED : ALLOWED_UNQUALIFIED).includes(r.status))
    check(
      'leads ever qualified end pending/accepted/contacted/converted/unrouted/escalated; others disqualified/nurture',
      wrong,
      ended.map((r) => `${r.qualified ? '' : 'never qualified: '}${r.status} ${r.n}`).join(', '),
    )
    const [{ n: lowered } = { n: 0 }] = await q<{ n: number }>(
      `select count(*)::int as n from leads l where not qualified and exists (select 1 from events e where e.lead_id = l.id and e.type = 'lead.qualified')`,
    )
    rows.push({
      phase: 'figure',
      check: 'leads qualified once, qualified = false after a duplicate re-scored them',
      detail: `${lowered} (their status stays, as documented)`,
    })
    const mismatched = await q<{ id: string; status: string; pending: number }>(`
      select l.id, l.status, count(h.id) filter (where h.status = 'pending')::int as pending from leads l left join handoffs h on h.lead_id = l.id
      group by l.id having (l.status = 'pending_acceptance') <> (count(h.id) filter (where h.status = 'pending') = 1)`)
    check('a lead is pending_acceptance exactly when it has a pending handoff', mismatched, `${mismatched.length} leads`)

    // 4. Deadlines: each offer that ran out was expired or accepted, once, and not early.
    const overdue = await q<{ id: string; deadline_at: Date }>(
      `select id, deadline_at from handoffs where status = 'pending' and deadline_at < now() - interval '2 seconds'`,
    )
    check('no handoff still pending 2 s past its deadline', overdue, `${overdue.length} overdue`)
    const [lost] = lostJob.handoffId
      ? await q<{ status: string; late_s: number }>(
          'select status, extract(epoch from responded_at - deadline_at)::float8 as late_s from handoffs where id = $1',
          [lostJob.handoffId],
        )
      : []
    check(
      'the handoff whose deadline job was deleted was expired all the same (by the timer backstop)',
      lost?.status === 'expired' ? [] : [lost ?? 'no job was deleted'],
      lost ? `${lost.status}${lost.late_s === null ? '' : `, ${lost.late_s.toFixed(0)} s after its deadline`}` : 'no handoff',
    )
    const lateAccept = await q<{ id: string }>(`select id from handoffs where status = 'accepted' and responded_at >= deadline_at`)
    check('no handoff accepted at or after its deadline', lateAccept, `${lateAccept.length}`)
    // A deadline job may run up to EARLY_TOLERANCE_MS (src/lib/jobs.ts) before its time and still expire the handoff, by design.
    const early = await q<{ id: string; early_ms: number }>(
      `select id, (extract(epoch from deadline_at - responded_at) * 1000)::int as early_ms from handoffs where status = 'expired' and responded_at < deadline_at order by 2 desc`,
    )
    const tooEarly = early.filter((e) => e.early_ms > EARLY_TOLERANCE_MS)
    check(
      `no handoff expired more than ${EARLY_TOLERANCE_MS} ms before its deadline`,
      tooEarly,
      `${early.length} expired early, ${tooEarly.length} beyond the tolerance${early.length ? `; earliest ${early[0]!.early_ms} ms before` : ''}`,
    )
    const both = await q<{ handoff: string; types: string[] }>(`
      select data->'handoff'->>'id' as handoff, array_agg(type) as types from events where type in ('handoff.accepted', 'handoff.expired', 'handoff.declined')
      group by 1 having count(*) > 1`)
    check('no handoff both accepted and expired (or ended twice)', both, `${both.length}`)
    const [late] = await q<{ n: number; p50: number; p99: number; max: number }>(`
      select count(*)::int as n, percentile_cont(0.5) within group (order by s) as p50, percentile_cont(0.99) within group (order by s) as p99, max(s)::float8 as max
      from (select extract(epoch from responded_at - deadline_at) as s from handoffs where status = 'expired') x`)
    const handoffs = await q<{ status: string; n: number }>('select status, count(*)::int as n from handoffs group by 1 order by 2 desc')
    rows.push({ phase: 'figure', check: 'handoffs by status', detail: handoffs.map((r) => `${r.status} ${r.n}`).join(', ') })
    const buckets = await q<{ from: number; n: number; p50: number; max: number }>(
      `
      select (floor(extract(epoch from deadline_at - $1::timestamptz) / ${LATENESS_BUCKET_S}) * ${LATENESS_BUCKET_S})::int as from, count(*)::int as n,
        percentile_cont(0.5) within group (order by extract(epoch from responded_at - deadline_at)) as p50, max(extract(epoch from responded_at - deadline_at))::float8 as max
      from handoffs where status = 'expired' group by 1 order by 1`,
      [new Date(wallT0)],
    )
    rows.push({
      phase: 'figure',
      check: `expiry lateness by deadline time (drill clock, ${LATENESS_BUCKET_S} s buckets)`,
      detail: buckets.map((b) => `${b.from} s: p50 ${b.p50.toFixed(1)} max ${b.max.toFixed(1)} (${b.n})`).join('; '),
    })
    rows.push({
      phase: 'figure',
      check: 'expiry lateness (s)',
      detail: late!.n
        ? `p50 ${late!.p50.toFixed(2)}, p99 ${late!.p99.toFixed(2)}, max ${late!.max.toFixed(2)} over ${late!.n}`
        : 'none expired',
    })

    // 5. Events: each one numbered without gaps per lead, and each one at the receiver.
    const gaps = await q<{ lead_id: string }>(
      'select lead_id from events where lead_id is not null group by lead_id having max(sequence) <> count(*)',
    )
    check('per-lead event sequences are 1…n without gaps', gaps, `${gaps.length} leads`)
    const events = await q<{ id: string; type: string }>('select id, type from events')
    const never = events.filter((e) => !receiver.receipts.has(e.id)).map((e) => ({ id: e.id, type: e.type }))
    check('every event reached the receiver at least once', never, `${events.length - never.length}/${events.length} events`)
    const unacked = events.filter((e) => receiver.receipts.get(e.id)?.acked === false).map((e) => e.id)
    const deliveries = await q<{ status: string; n: number }>(
      'select status, count(*)::int as n from webhook_deliveries group by 1 order by 2 desc',
    )
    check(
      'every event delivered (a 2xx from the receiver)',
      unacked,
      `deliveries ${deliveries.map((r) => `${r.status} ${r.n}`).join(', ')}`,
    )
    const known = new Set(events.map((e) => e.id))
    const strangers = [...receiver.receipts.keys()].filter((id) => !known.has(id))
    check(
      'the receiver got nothing but real events, correctly signed',
      [
        ...strangers,
        ...(receiver.stats.badSignature ? [`${receiver.stats.badSignature} bad signatures`] : []),
        ...(receiver.stats.idMismatch ? [`${receiver.stats.idMismatch} body id ≠ webhook-id`] : []),
      ],
      `${receiver.stats.requests} requests, ${receiver.stats.failedOnPurpose} failed on purpose`,
    )

    // 6. Answers: no 5xx, no connection failure, unless the kill explains it.
    const grouped = Map.groupBy(unexplained, (i) => `${i.instance} ${i.kind}${i.status ? ` ${i.status}` : ''} ${i.detail.slice(0, 160)}`)
    rows.push({
      phase: 'invariant',
      check: 'no 5xx and no failed connection apart from the kill',
      ok: unexplained.length === 0,
      detail: `${unexplained.length} unexplained${unexplained.length ? `: ${[...grouped].map(([what, list]) => `${list.length}× ${what} (${(list[0]!.atMs / 1000).toFixed(1)}–${(list.at(-1)!.atMs / 1000).toFixed(1)} s)`).join(' | ')}` : ''}`,
    })
  } finally {
    await client.end()
  }
  return rows
}
