import { Type, type Static } from '@sinclair/typebox'
import { Timestamp } from '../../lib/schemas.ts'
import { ScoringModelBody } from '../../db/schema/json/scoring-model.ts'

/** First contact due after acceptance, per tier, when the model does not say (seconds). */
export const FIRST_CONTACT_DEFAULTS = { high: 300, demo: 1800, standard: 3600 } as const

export const ScoringModelVersion = Type.Composite([Type.Object({ version: Type.Integer(), createdAt: Timestamp }), ScoringModelBody], {
  $id: 'ScoringModel',
})
export type ScoringModelVersion = Static<typeof ScoringModelVersion>
