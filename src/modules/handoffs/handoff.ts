import type { HandoffState } from '../../db/schema/index.ts'
import type { Handoff } from './handoffs.schemas.ts'

/** A handoff as answers and events show it. */
export function toHandoff(row: HandoffState): Handoff {
  return {
    id: row.id,
    leadId: row.leadId,
    repId: row.repId,
    status: row.status,
    attempt: row.attempt,
    deadlineAt: row.deadlineAt.toISOString(),
    clock: row.clock,
    acceptWithinSeconds: row.acceptWithinSeconds,
    reminders: row.reminders,
    createdAt: row.createdAt.toISOString(),
    respondedAt: row.respondedAt?.toISOString() ?? null,
    reason: row.reason,
    routing: { version: row.rulesetVersion, rule: row.ruleName, ruleIndex: row.ruleIndex, teamId: row.teamId },
  }
}
