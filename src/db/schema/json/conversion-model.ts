// The conversion model as predictive_models stores it: log-odds per feature, learned by counting.

/** One feature of one lead, "group=value": industry=fintech, size=51-200, signal=demoRequested. */
export type Feature = string

/** A trained model: log-odds to add per feature, and for a single-valued group's value never seen in training. */
export interface Model {
  bias: number
  weights: Record<Feature, number>
  unseen: Record<string, number>
  /** Training leads that had each feature, for explanations. */
  support: Record<Feature, number>
}

export interface Driver {
  feature: Feature
  /** Log-odds this feature added (positive: towards a win). */
  weight: number
  direction: 'up' | 'down'
}
