import type pg from 'pg'
import { EMPTY_RULESET } from './schema/json/ruleset.ts'
import { DEFAULT_SCORING_MODEL } from './default-scoring-model.ts'

/**
 * Rows a fresh database must have for Baton to make decisions: scoring model
 * version 1 and routing ruleset version 1 (no rules, no fallback: qualified leads
 * wait as unrouted until an admin publishes rules). Runs after the migrations,
 * under their lock; never overwrites.
 */
export async function seedDefaults(client: pg.Client): Promise<void> {
  await client.query(
    'insert into scoring_models (version, model, created_at) select 1, $1, now() where not exists (select 1 from scoring_models)',
    [JSON.stringify(DEFAULT_SCORING_MODEL)],
  )
  await client.query(
    'insert into routing_rulesets (version, ruleset, created_at) select 1, $1, now() where not exists (select 1 from routing_rulesets)',
    [JSON.stringify(EMPTY_RULESET)],
  )
}
