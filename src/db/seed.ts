import type pg from 'pg'
import { DEFAULT_SCORING_MODEL } from '../modules/scoring/default-model.ts'

/**
 * Rows a fresh database must have for Baton to make decisions: scoring model
 * version 1. Runs after the migrations, under their lock; never overwrites.
 */
export async function seedDefaults(client: pg.Client): Promise<void> {
  await client.query(
    'insert into scoring_models (version, model, created_at) select 1, $1, now() where not exists (select 1 from scoring_models)',
    [JSON.stringify(DEFAULT_SCORING_MODEL)],
  )
}
