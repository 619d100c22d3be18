import { Type } from '@sinclair/typebox'
import { Timestamp } from '../../lib/schemas.ts'

export const Driver = Type.Object({
  feature: Type.String({
    description: 'group=value: industry=fintech, country=DE, size=51-200, source=web, product=api, signal=demoRequested',
  }),
  weight: Type.Number({ description: 'Log-odds it adds: positive towards a win' }),
  direction: Type.Union([Type.Literal('up'), Type.Literal('down')]),
})

export const PredictiveModel = Type.Object({
  version: Type.Integer(),
  trainedAt: Timestamp,
  samples: Type.Integer({ description: 'Leads with an outcome it learned from' }),
  auc: Type.Union([Type.Number(), Type.Null()], {
    description: 'Area under the ROC curve on a held-out fifth (0.5: no better than chance; null when that fifth had one class only)',
  }),
  baselineRate: Type.Number({ description: 'Share of those leads won: what a model that knows nothing would predict' }),
  seed: Type.Integer({ description: "The held-out split's seed: the same samples and seed train the same model" }),
  topFeatures: Type.Array(Driver, { description: 'The features with the strongest pull (among those at least 5 leads had)' }),
})

export const PredictiveState = Type.Object({
  model: Type.Union([PredictiveModel, Type.Null()], { description: 'The live model; null until enough outcomes are reported' }),
  outcomes: Type.Object({ won: Type.Integer(), lost: Type.Integer(), total: Type.Integer() }),
  minimumSamples: Type.Integer(),
})

export const TrainBody = Type.Object(
  { seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, default: 1 })) },
  { additionalProperties: false },
)
