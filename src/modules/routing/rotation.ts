import type { TeamStrategy } from '../../db/schema/teams.ts'

/** A team member who may take the lead now, in the team's stable member order. */
export interface EligibleMember {
  repId: string
  weight: number
  /** Pending handoffs plus accepted-but-uncontacted leads (least_loaded's measure). */
  load: number
}

/**
 * The order in which to offer a lead to a team's eligible members, given the team's
 * turn number (1, 2, 3, … one per lead the team's rotation takes; see routing.repo).
 * The first rep is the pick; the rest are who to try should the pick fill up meanwhile.
 *
 * - round_robin: turn n goes to eligible member (n − 1) mod count. Over any run of turns
 *   with the same eligible reps, each gets the same number of leads, ±1.
 * - weighted: the turn picks a slot in a smooth weighted cycle of length Σweight, so a
 *   member of weight 2 gets exactly twice the leads of weight 1 over each full cycle,
 *   spread out rather than in bursts.
 * - least_loaded: the members with the least open work, rotated by turn among themselves
 *   so concurrent leads spread across equally loaded reps; then the others, least first.
 *
 * Turns are not per-rep counters: a rep away for a week has no backlog of turns to
 * "catch up", and members joining or leaving do not reset anyone.
 */
export function turnOrder(strategy: TeamStrategy, members: EligibleMember[], turn: number): string[] {
  if (members.length === 0) return []
  const index = (turn - 1) % members.length
  if (strategy === 'round_robin') return rotate(members, index).map((m) => m.repId)
  if (strategy === 'weighted') {
    const cycle = weightedCycle(members)
    const first = cycle[(turn - 1) % cycle.length]!
    return [
      first,
      ...rotate(
        members,
        members.findIndex((m) => m.repId === first),
      )
        .slice(1)
        .map((m) => m.repId),
    ]
  }
  const least = Math.min(...members.map((m) => m.load))
  const tied = members.filter((m) => m.load === least)
  const rest = members.filter((m) => m.load !== least).sort((a, b) => a.load - b.load)
  return [...rotate(tied, (turn - 1) % tied.length), ...rest].map((m) => m.repId)
}

const rotate = <T>(items: T[], start: number): T[] => [...items.slice(start), ...items.slice(0, start)]

// Cycles depend only on the members and weights; teams are few, leads many.
const cycles = new Map<string, string[]>()
const MAX_CACHED_CYCLES = 500

/**
 * Smooth weighted round robin (as nginx balances upstreams): each step every member
 * gains its weight, the richest is picked and pays the total. Weights 2:1 give A B A,
 * not A A B.
 */
export function weightedCycle(members: Array<Pick<EligibleMember, 'repId' | 'weight'>>): string[] {
  const key = members.map((m) => `${m.repId}:${m.weight}`).join(',')
  const cached = cycles.get(key)
  if (cached) return cached
  const total = members.reduce((sum, m) => sum + m.weight, 0)
  const credit = members.map(() => 0)
  const cycle: string[] = []
  for (let step = 0; step < total; step++) {
    let best = 0
    members.forEach((m, i) => {
      credit[i]! += m.weight
      if (credit[i]! > credit[best]!) best = i
    })
    credit[best]! -= total
    cycle.push(members[best]!.repId)
  }
  if (cycles.size >= MAX_CACHED_CYCLES) cycles.clear()
  cycles.set(key, cycle)
  return cycle
}
