import type { Trace, TraceStep } from '../../db/schema/json/trace.ts'

// What a rep reads in place of a step's detail when the engine's sentence is about others:
// it names reps, quotes their reasons ("at capacity 3/3") or counts them ("2 of 5 eligible").
const ABOUT_OTHERS = 'other reps were considered (shown to admins only)'

/**
 * The routing trace as a rep token may read it (GET /v1/handoffs/:id): every step with its
 * rule name and outcome, and the rep's own eligibility, load and fit, but nothing about
 * another rep (ids, names, loads, capacity, reasons, the rotation order). Admins and
 * integrations read the stored trace as it is. Pure, like the engine that wrote it.
 */
export function traceForRep(trace: Trace, repId: string): Trace {
  return { ...trace, steps: trace.steps.map((step) => stepForRep(step, repId)) }
}

function stepForRep(step: TraceStep, repId: string): TraceStep {
  // `turn` is left out whole: its order is the eligible members' ids.
  const { candidates, turn: _turn, fit, assign, ...kept } = step
  const view: TraceStep = { ...kept }
  // A rule that targets one rep names them; another rep's id stays with admins.
  if (assign && !(assign.type === 'rep' && assign.repId !== repId)) view.assign = assign
  // No rep was judged (no match, no account, a target gone): the detail names nobody.
  if (!candidates) return view
  const own = candidates.find((c) => c.repId === repId)
  if (own) view.candidates = [own]
  const ownEstimate = fit?.estimates.filter((e) => e.repId === repId)
  if (fit && ownEstimate?.length) view.fit = { segment: fit.segment, estimates: ownEstimate }
  if (candidates.every((c) => c.repId === repId)) return view
  const yours = own ? (own.eligible ? 'you were eligible' : `you were not eligible (${own.reason ?? 'unknown'})`) : ABOUT_OTHERS
  view.detail = step.team ? `team "${step.team.name}" (${step.team.strategy.replace('_', ' ')}): ${yours}` : yours
  return view
}
