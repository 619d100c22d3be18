// The reps who do their job: each polls its own inbox with its own rep token and accepts
// what it is offered; some then log a call (lead contacted) and convert. The other reps
// never answer, so their offers expire, move on and end escalated.
import { setTimeout as sleep } from 'node:timers/promises'
import { signToken } from '../src/lib/auth-keys.ts'
import { call, json, type Journal } from './http.ts'

/** What the answering reps did. */
export interface RepStats {
  accepted: number
  /** 409: the deadline (or the other side of a race) came first. */
  tooLate: number
  contacted: number
  converted: number
  /** Answers other than 2xx / 409 (5xx are in the journal too). */
  /** Calls and conversions refused because a manager or admin had moved the lead on meanwhile (the people load). */
  movedAway: number
  unexpected: string[]
}

const ROUND_MS = 500
const CONTACT_SHARE = 0.3
const CONVERT_SHARE = 0.5

export async function startAccepting({
  instances,
  secret,
  repIds,
  journal,
  random,
}: {
  instances: Array<{ name: string; base: string }>
  secret: Uint8Array
  repIds: string[]
  journal: Journal
  random: () => number
}): Promise<{ stats: RepStats; stop: () => Promise<RepStats> }> {
  const stats: RepStats = { accepted: 0, tooLate: 0, contacted: 0, converted: 0, movedAway: 0, unexpected: [] }
  const tokens = await Promise.all(repIds.map((sub) => signToken(secret, { role: 'rep', sub, ttl: '1h' })))
  const answered = new Set<string>()
  let stopped = false
  let round = 0

  const note = (what: string, outcome: Awaited<ReturnType<typeof call>>) => {
    if (outcome.kind === 'answer' && outcome.status < 500 && stats.unexpected.length < 50)
      stats.unexpected.push(`${what} → ${outcome.status} ${outcome.text.slice(0, 200)}`)
  }

  // A reassign or hand-back between the rep's accept and their call takes the lead away: 403.
  const movedAway = (outcome: Awaited<ReturnType<typeof call>>) =>
    outcome.kind === 'answer' && outcome.status === 403 && outcome.text.includes('This lead is not yours')

  const work = async (token: string) => {
    const instance = () => instances[round++ % instances.length]!
    const inbox = await call(journal, instance(), token, 'GET', '/v1/handoffs?status=pending&limit=200')
    const page = json<{ data: Array<{ id: string; leadId: string }> }>(inbox)
    if (!page || inbox.kind !== 'answer' || inbox.status !== 200) return
    // In parallel, as people answer: one slow accept must not make the others late.
    await Promise.all(
      page.data
        .filter((h) => !answered.has(h.id))
        .map(async (handoff) => {
          if (stopped) return
          const accept = await call(journal, instance(), token, 'POST', `/v1/handoffs/${handoff.id}/accept`)
          if (accept.kind !== 'answer' || accept.status >= 500) return // not answered: the next round tries again
          answered.add(handoff.id)
          if (accept.status === 409) {
            stats.tooLate++
            return
          }
          if (accept.status !== 200) return note('accept', accept)
          stats.accepted++
          if (random() >= CONTACT_SHARE) return
          const activity = await call(journal, instance(), token, 'POST', `/v1/leads/${handoff.leadId}/activities`, {
            type: 'call',
            note: 'drill',
          })
          if (movedAway(activity)) return void stats.movedAway++
          if (activity.kind !== 'answer' || activity.status !== 201) return note('activity', activity)
          stats.contacted++
          if (random() >= CONVERT_SHARE) return
          const convert = await call(journal, instance(), token, 'POST', `/v1/leads/${handoff.leadId}/convert`, {
            amount: 1000,
            currency: 'EUR',
          })
          if (convert.kind === 'answer' && convert.status === 200) stats.converted++
          else if (movedAway(convert)) stats.movedAway++
          else note('convert', convert)
        }),
    )
  }

  const loop = (async () => {
    while (!stopped) {
      await Promise.all(tokens.map(work))
      await sleep(ROUND_MS)
    }
  })()

  return {
    stats,
    async stop() {
      stopped = true
      await loop
      return stats
    },
  }
}
