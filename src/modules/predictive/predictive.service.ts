import type { PredictiveModelRow, Prediction, StoredDecision } from '../../db/schema/index.ts'
import { score, type CompiledModel } from '../scoring/score.ts'
import { allowLongStatements, type Queryable } from '../../db/client.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { Conflict, Unprocessable, withProblemMembers } from '../../lib/errors.ts'
import { featuresOf, predict, train, type LeadFeatures, type Sample } from './model.ts'
import * as repo from './predictive.repo.ts'
import type { Model } from '../../db/schema/json/conversion-model.ts'

// How long an instance keeps using the model it loaded before asking for the live
// version again: a model trained on another instance reaches this one within it.
const CACHE_MS = 10_000

/** The live conversion model as ingestion uses it: loaded once, checked again every 10 s. */
export function createPredictor({ db, clock }: Pick<ServiceDeps, 'db' | 'clock'>) {
  let cached: { version: number; model: Model } | undefined
  let checkedAt = -Infinity
  return {
    /** The live model, or undefined while there is none. */
    async current(): Promise<{ version: number; model: Model } | undefined> {
      const now = clock.now().getTime()
      if (now - checkedAt < CACHE_MS && now >= checkedAt) return cached
      const version = await repo.liveVersion(db)
      if (version !== cached?.version) {
        const row = version === undefined ? undefined : await repo.liveModel(db)
        cached = row ? { version: row.version, model: row.model } : undefined
      }
      checkedAt = now
      return cached
    },
    /** A version already known to be live (ingestion reads it with the email lock): no I/O while it stays live. */
    async at(reader: Queryable, version: number | null): Promise<{ version: number; model: Model } | undefined> {
      if (version === null) return undefined
      if (cached?.version !== version) {
        const row = await repo.modelAt(reader, version)
        if (row) cached = { version: row.version, model: row.model }
        checkedAt = clock.now().getTime()
      }
      return cached
    },
    /** After a training here: use the new model at once. */
    use(row: PredictiveModelRow): void {
      cached = { version: row.version, model: row.model }
      checkedAt = clock.now().getTime()
    },
  }
}

export type Predictor = ReturnType<typeof createPredictor>

/** A lead's prediction from a loaded model (no I/O: it runs inside ingestion's transaction). */
export function predictionFor(live: { version: number; model: Model } | undefined, lead: LeadFeatures): Prediction | undefined {
  if (!live) return undefined
  const { conversion, drivers } = predict(live.model, featuresOf(lead))
  return { conversion, model: live.version, drivers }
}

/**
 * Scores a lead with the live scoring model, the conversion model's prediction first:
 * rules may read `predicted.conversion`, and the decision keeps the prediction with its
 * drivers. Ingestion and simulations decide the same way.
 */
export function decideWith(
  scoring: { model: CompiledModel; version: number },
  live: { version: number; model: Model } | undefined,
  lead: LeadFeatures,
): StoredDecision {
  const predicted = predictionFor(live, lead)
  const decision = score(scoring.model, predicted ? { ...lead, predicted: { conversion: predicted.conversion } } : lead)
  return { ...decision, scoringVersion: scoring.version, ...(predicted ? { predicted } : {}) }
}

/** Training on demand and by schedule, and what the live model is. */
export function createPredictiveService({
  db,
  clock,
  config,
  predictor,
}: Pick<ServiceDeps, 'db' | 'clock' | 'config'> & { predictor: Predictor }) {
  const minimum = config.predictive.minSamples

  /**
   * Trains on every lead with an outcome and publishes the next version, unless another run
   * holds the training lock (`busy`) or there are fewer outcomes than the minimum (`too_few`:
   * no model, and the live one, if any, stays).
   */
  async function tryTraining(seed: number): Promise<TrainingResult> {
    // The leads are read a page at a time through a cursor, which lives in a transaction,
    // and each page becomes features before the next; each distinct feature is one string:
    // a hundred thousand leads share a few hundred, which keeps training's peak memory low.
    const vocabulary = new Map<string, string>()
    const intern = (feature: string) => vocabulary.get(feature) ?? (vocabulary.set(feature, feature), feature)
    // One run at a time across every instance (API requests and the scheduled job alike):
    // the run's transaction holds the training lock from its first read to the publish.
    const result = await db.transaction(async (tx): Promise<TrainingResult> => {
      if (!(await repo.tryTrainingLock(tx))) return { outcome: 'busy' }
      await allowLongStatements(tx)
      const samples: Sample[] = []
      for await (const page of repo.trainingSamples(tx))
        for (const s of page) samples.push({ features: featuresOf(s).map(intern), won: s.won })
      if (samples.length < minimum) return { outcome: 'too_few', samples: samples.length, minimum }
      const trained = train(samples, { seed })
      const row = await repo.publish(tx, {
        trainedAt: clock.now(),
        samples: trained.samples,
        baselineRate: trained.baselineRate,
        auc: trained.auc,
        seed,
        model: trained.model,
        topFeatures: trained.topFeatures,
      })
      return { outcome: 'trained', model: toModel(row), row }
    })
    if (result.outcome === 'trained') predictor.use(result.row)
    return result
  }

  return {
    /** POST /v1/predictive/train: the new model; 409 while another run holds the lock, 422 with too few outcomes. */
    async train({ seed = 1 }: { seed?: number } = {}) {
      const result = await tryTraining(seed)
      if (result.outcome === 'busy')
        throw new Conflict('A training run is in progress (another request, instance or the scheduled job); try again once it ends.')
      if (result.outcome === 'too_few') {
        throw withProblemMembers(
          new Unprocessable(`Training needs at least ${result.minimum} leads with an outcome; there are ${result.samples}.`),
          { samples: result.samples, minimum: result.minimum },
        )
      }
      return result.model
    },

    /** The scheduled retraining: a busy lock or too few outcomes is nothing to do, and nothing wrong. */
    trainOnSchedule: () => tryTraining(1),

    async live() {
      const row = await repo.liveModel(db)
      const counts = await repo.outcomeCounts(db)
      return { model: row ? toModel(row) : null, outcomes: { ...counts, total: counts.won + counts.lost }, minimumSamples: minimum }
    },
  }
}

export type PredictiveService = ReturnType<typeof createPredictiveService>

type TrainingResult =
  | { outcome: 'trained'; model: ReturnType<typeof toModel>; row: PredictiveModelRow }
  | { outcome: 'busy' }
  | { outcome: 'too_few'; samples: number; minimum: number }

function toModel(row: PredictiveModelRow) {
  return {
    version: row.version,
    trainedAt: row.trainedAt.toISOString(),
    samples: row.samples,
    auc: row.auc,
    baselineRate: row.baselineRate,
    seed: row.seed,
    topFeatures: row.topFeatures,
  }
}
