import type { Test } from 'tap'
import { loadConfig, type Config } from '../../src/config.ts'
import { resolveSigningSecret, signToken, type Role } from '../../src/lib/auth-keys.ts'
import { manualClock } from '../../src/lib/clock.ts'
import { startServices } from '../../src/runtime.ts'
import { createTestDatabase } from './db.ts'

export const TEST_SECRET = 'test-secret-that-is-long-enough-for-hs256'

/**
 * A whole Baton (pg-boss, workers, app) on a fresh database of the test's own,
 * with a manual clock and token helpers; everything is closed when `t` ends.
 */
export async function buildTestApp(
  t: Test,
  { env = {}, start, realTime = false }: { env?: Record<string, string>; start?: string; realTime?: boolean } = {},
) {
  const { url, drop } = await createTestDatabase()
  const config: Config = loadConfig({
    AUTH_SECRET: TEST_SECRET,
    LOG_LEVEL: 'silent',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    DATABASE_URL: url,
    ...env,
  })
  // realTime: the system clock, for the few tests that let pg-boss fire jobs on their own (advance() then throws).
  const clock = realTime
    ? {
        now: () => new Date(),
        advance: () => {
          throw new Error('a real-time test app cannot move its clock')
        },
      }
    : manualClock(start)
  const services = await startServices(config, url, { clock })
  t.teardown(async () => {
    await services.close()
    await drop()
  })
  // The app's own newest key (env may list AUTH_SECRETS), else TEST_SECRET (an external issuer only: tokens it refuses).
  const keys = (await resolveSigningSecret(config)) ?? new TextEncoder().encode(TEST_SECRET)
  const token = (role: Role, sub?: string) => signToken(keys, { role, now: clock.now(), ...(sub ? { sub } : {}) })
  const auth = async (role: Role, sub?: string) => ({ authorization: `Bearer ${await token(role, sub)}` })
  return { ...services, url, clock, config, token, auth }
}

export type TestApp = Awaited<ReturnType<typeof buildTestApp>>
