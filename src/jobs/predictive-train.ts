import type { Job } from './job.ts'

/** The conversion model's scheduled retraining (PREDICTIVE_TRAIN_CRON). */
export const predictiveTrain: Job<'predictive-train'> = {
  name: 'predictive-train',
  queue: { retryLimit: 2, retryDelay: 300, expireInSeconds: 900 },
  schedule: (config) => config.predictive.trainCron,
  handler:
    ({ services, deps }) =>
    async () => {
      const result = await services.predictive.trainOnSchedule()
      if (result.outcome === 'trained') {
        const { version, samples, auc } = result.model
        deps.logger.info({ version, samples, auc }, 'conversion model retrained')
      } else {
        // Too few outcomes yet, or a run already under way elsewhere: nothing to do, and nothing wrong.
        deps.logger.info({ reason: result.outcome }, 'conversion model not trained')
      }
    },
}
