import type { Test } from 'tap'
import { loadConfig, type Config } from '../../src/config.ts'
import { signToken, type Role } from '../../src/lib/auth-keys.ts'
import { manualClock } from '../../src/lib/clock.ts'
import { startServices } from '../../src/runtime.ts'
import { createTestDatabase } from './db.ts'

export const TEST_SECRET = 'test-secret-that-is-long-enough-for-hs256'

/**
 * A whole Baton (pg-boss, workers, app) on a fresh database of the test's own,
 * with a manual clock and token helpers; everything is closed when `t` ends.
 */
export async function buildTestApp(t: Test, { env = {}, start }: { env?: Record<string, string>; start?: string } = {}) {
  const { url, drop } = await createTestDatabase()
  const config: Config = loadConfig({ AUTH_SECRET: TEST_SECRET, LOG_LEVEL: 'silent', WEBHOOK_ALLOW_PRIVATE: 'true', DATABASE_URL: url, ...env })
  const clock = manualClock(start)
  const services = await startServices(config, url, { clock })
  t.teardown(async () => {
    await services.close()
    await drop()
  })
  const secret = new TextEncoder().encode(TEST_SECRET)
  const token = (role: Role, sub?: string) => signToken(secret, { role, now: clock.now(), ...(sub ? { sub } : {}) })
  const auth = async (role: Role, sub?: string) => ({ authorization: `Bearer ${await token(role, sub)}` })
  return { ...services, url, clock, config, token, auth }
}

export type TestApp = Awaited<ReturnType<typeof buildTestApp>>
