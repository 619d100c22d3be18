// Writes openapi/openapi.json from the route schemas; with --check, fails if the committed file differs.
import { readFile, writeFile } from 'node:fs/promises'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { createDb } from '../src/db/client.ts'
import { createBoss } from '../src/lib/boss.ts'
import { createLogger } from '../src/lib/logger.ts'
import { createMetrics } from '../src/lib/metrics.ts'
import { systemClock } from '../src/lib/clock.ts'
import { createAcceptLinks } from '../src/modules/handoffs/accept-link.ts'
import { createServices } from '../src/services.ts'

const FILE = new URL('../openapi/openapi.json', import.meta.url)
// Nothing connects: the pool and pg-boss are only handed to the routes, never used.
const UNUSED_DATABASE = 'postgresql://openapi@127.0.0.1:1/openapi'

const config = { ...loadConfig({}), logLevel: 'silent' }
const { db, pool } = createDb(UNUSED_DATABASE)
const acceptLinks = createAcceptLinks({ secret: undefined, publicUrl: config.publicUrl, clock: systemClock })
const deps = {
  config,
  db,
  pool,
  boss: createBoss(UNUSED_DATABASE, { role: 'api' }),
  clock: systemClock,
  acceptLinks,
  metrics: createMetrics(),
  logger: createLogger('silent'),
}
const app = await buildApp({ ...deps, services: createServices(deps), signingSecret: undefined })
await app.ready()
const spec = `${JSON.stringify(app.swagger(), null, 2)}\n`
await app.close()
await pool.end()

if (process.argv.includes('--check')) {
  const committed = await readFile(FILE, 'utf8').catch(() => '')
  if (committed !== spec) {
    console.error('openapi/openapi.json is out of date with the route schemas: run `npm run openapi` and commit the result.')
    process.exit(1)
  }
  console.log('openapi/openapi.json matches the routes')
} else {
  await writeFile(FILE, spec)
  console.log('wrote openapi/openapi.json')
}
