// The demo's reps, driven by Baton's own webhooks: a receiver verifies each delivery
// (Standard Webhooks, as any integrator would), and every lead.assigned makes the rep it
// names accept after a while, decline, or let the deadline pass. Accepted leads get a
// first call or email, and some become opportunities. All through the API, with each
// rep's own token.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'
import { ApiError, type Api } from './api.ts'
import { between, type Random } from './leads.ts'
import type { DemoRep, World } from './world.ts'

const DECLINE_REASONS = [
  'not my territory',
  'conflict of interest: I know them personally',
  'in back-to-back calls',
  'better fit for a specialist',
]
const AWAY_FOR_MS = 6000

/** What the simulation has done so far, for the live display. */
export interface RepCounters {
  deliveries: number
  uniqueEvents: number
  badSignatures: number
  accepted: number
  declined: number
  ignored: number
  /** Accepts that lost the race against the deadline job (409). */
  late: number
  contacted: number
  converted: number
  autoAway: number
  escalated: number
  errors: number
}

/** A webhook receiver standing in for the CRM, and the reps it wakes. */
export interface RepSimulation {
  url: string
  counters: RepCounters
  /** The last few notable happenings, newest last. */
  ticker: string[]
  /** Wired once Baton is seeded: the secret to verify with, and who is who. */
  start(world: World): void
  /** Actions scheduled or in flight (the demo waits for them before its summary). */
  busy(): number
  stop(): Promise<void>
}

interface AssignedEvent {
  handoff: { id: string; deadlineAt: string }
  rep: { id: string; name: string }
  lead: { id: string; email: string; company: string | null; domain: string | null }
  rule: { name: string }
}

export async function startRepSimulation(api: Api, random: Random): Promise<RepSimulation> {
  const counters: RepCounters = {
    deliveries: 0,
    uniqueEvents: 0,
    badSignatures: 0,
    accepted: 0,
    declined: 0,
    ignored: 0,
    late: 0,
    contacted: 0,
    converted: 0,
    autoAway: 0,
    escalated: 0,
    errors: 0,
  }
  const ticker: string[] = []
  const seen = new Set<string>()
  const timers = new Set<NodeJS.Timeout>()
  const inFlight = new Set<Promise<void>>()
  let world: World | undefined
  let verifier: Webhook | undefined
  let stopped = false

  const note = (line: string) => {
    ticker.push(`${new Date().toISOString().slice(11, 19)}  ${line}`)
    if (ticker.length > 5) ticker.shift()
  }

  /** Runs `action` after `seconds`, unless the demo is stopping; its failures are counted, never thrown. */
  const later = (seconds: number, action: () => Promise<void>) => {
    if (stopped) return
    const timer = setTimeout(() => {
      timers.delete(timer)
      if (stopped) return
      const run = action()
        .catch((error: unknown) => {
          counters.errors++
          note(`error: ${error instanceof Error ? error.message.slice(0, 120) : String(error)}`)
        })
        .finally(() => inFlight.delete(run))
      inFlight.add(run)
    }, seconds * 1000)
    timers.add(timer)
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      counters.deliveries++
      // Answer at once: a receiver that makes Baton wait slows every delivery behind it.
      res.writeHead(204).end()
      receive(body, req.headers)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  function receive(body: string, headers: IncomingHttpHeaders) {
    if (!verifier || !world) return
    let event: { type: string; data: Record<string, unknown> }
    try {
      event = verifier.verify(body, headers as Record<string, string>) as typeof event
    } catch {
      counters.badSignatures++
      return
    }
    // At least once: a retried delivery carries the same webhook-id.
    const id = String(headers['webhook-id'])
    if (seen.has(id)) return
    seen.add(id)
    counters.uniqueEvents++
    onEvent(world, event.type, event.data)
  }

  function onEvent(world: World, type: string, data: Record<string, unknown>) {
    if (type === 'lead.assigned') return onAssigned(world, data as unknown as AssignedEvent)
    if (type === 'rep.auto_away') {
      const rep = data.rep as { id: string; name: string }
      counters.autoAway++
      note(`${rep.name} let 3 handoffs in a row expire: Baton set them away (back in ${AWAY_FOR_MS / 1000} s)`)
      later(AWAY_FOR_MS / 1000, async () => {
        await api.as('admin')('PATCH', `/v1/reps/${rep.id}`, { status: 'available' })
        note(`${rep.name} is available again`)
      })
    } else if (type === 'lead.escalated') {
      counters.escalated++
      const lead = data.lead as { email: string }
      const to = data.rep as { name: string } | undefined
      note(to ? `${lead.email} escalated to ${to.name} after ${String(data.attempts)} reps` : `${lead.email} escalated: waits for a person`)
    } else if (type === 'lead.unroutable') {
      const lead = data.lead as { email: string }
      note(`${lead.email} waits: ${String(data.reason).slice(0, 90)}`)
    } else if (type === 'lead.contact_overdue') {
      const lead = data.lead as { email: string }
      note(`${lead.email}: first contact overdue`)
    }
  }

  function onAssigned(world: World, event: AssignedEvent) {
    const rep = world.repById.get(event.rep.id)
    if (!rep) return
    const escalation = event.rule.name === 'escalation'
    const style = escalation ? { accept: 0.9, decline: 0.05, delay: [1, 3] as [number, number] } : rep.style
    const roll = random()
    const delay = between(random, ...style.delay)
    const call = api.as('rep', rep.id)
    const who = event.lead.company ?? event.lead.email
    if (roll < style.accept) {
      later(delay, async () => {
        try {
          await call('POST', `/v1/handoffs/${event.handoff.id}/accept`)
        } catch (error) {
          // The deadline job got there first: the lead has already moved on.
          if (error instanceof ApiError && error.status === 409) return void counters.late++
          throw error
        }
        counters.accepted++
        afterAccept(rep, event.lead.id)
      })
    } else if (roll < style.accept + style.decline) {
      later(delay / 2, async () => {
        const reason = DECLINE_REASONS[Math.floor(random() * DECLINE_REASONS.length)]!
        try {
          await call('POST', `/v1/handoffs/${event.handoff.id}/decline`, { reason })
        } catch (error) {
          if (error instanceof ApiError && error.status === 409) return void counters.late++
          throw error
        }
        counters.declined++
        note(`${rep.name} declined ${who} (${reason})`)
      })
    } else {
      counters.ignored++
      note(`${rep.name} is letting ${who} expire (${world.acceptWithinSeconds} s to accept)`)
    }
  }

  function afterAccept(rep: DemoRep, leadId: string) {
    if (random() >= 0.85) return // never called back: the first-contact task goes overdue
    const call = api.as('rep', rep.id)
    later(between(random, 1, 6), async () => {
      await call('POST', `/v1/leads/${leadId}/activities`, { type: random() < 0.6 ? 'call' : 'email', note: 'Intro call booked' })
      counters.contacted++
      if (random() >= 0.35) return
      later(between(random, 2, 8), async () => {
        const amount = Math.round(between(random, 5, 120)) * 1000
        await call('POST', `/v1/leads/${leadId}/convert`, { amount, currency: 'USD', name: 'New business' })
        counters.converted++
        note(`${rep.name} converted a lead: opportunity of $${amount.toLocaleString('en-US')}`)
      })
    })
  }

  return {
    url: `http://127.0.0.1:${port}/baton`,
    counters,
    ticker,
    start(seeded) {
      world = seeded
      verifier = new Webhook(seeded.webhookSecret)
    },
    busy: () => timers.size + inFlight.size,
    async stop() {
      stopped = true
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      await Promise.allSettled([...inFlight])
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
