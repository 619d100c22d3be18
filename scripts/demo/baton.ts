// A whole Baton for the demo, in this process: its own database (a throwaway embedded
// cluster under the OS temp dir, or a fresh database on DATABASE_URL), migrated, with the
// API listening on 127.0.0.1 and the pg-boss workers running on the real clock.
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import pino from 'pino'
import { loadConfig } from '../../src/config.ts'
import { freePort } from '../../src/lib/free-port.ts'
import { startServices, type Runtime } from '../../src/runtime.ts'
import { startScratchCluster } from '../scratch-cluster.ts'

/** A running demo Baton. `stop` undoes everything `startBaton` did, whatever state it is in. */
export interface DemoBaton {
  base: string
  secret: Uint8Array
  /** `embedded PostgreSQL 18 …` or `DATABASE_URL (database baton_demo_123)`. */
  database: string
  /** Baton's own warnings and errors (it logs to a file so the live display stays readable). */
  logLines(): Promise<string[]>
  stop(): Promise<void>
}

const DATABASE = `baton_demo_${process.pid}`

/** Starts it step by step; on a failure part-way, what was started is stopped before the error is thrown. */
export async function startBaton({ step, smtpUrl }: { step: (message: string) => void; smtpUrl: string }): Promise<DemoBaton> {
  const external = loadConfig().databaseUrl
  step(
    external
      ? `using DATABASE_URL: a throwaway database ${DATABASE} (dropped at the end)`
      : 'starting an embedded PostgreSQL in a scratch dir (removed at the end)',
  )
  const cluster = await startScratchCluster('demo', external)
  const logFile = path.join(cluster.scratch, 'baton.log')
  let services: Runtime | undefined

  const stop = async () => {
    await services?.close().catch(() => {})
    await cluster.close()
  }

  try {
    step('creating and migrating its database (drizzle and pg-boss)')
    const url = await cluster.createDatabase(DATABASE)

    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    const secret = randomBytes(32).toString('base64url')
    // Only the demo's own settings: nothing from the caller's environment changes Baton's behaviour here.
    const config = loadConfig({
      DATABASE_URL: url,
      DATA_DIR: cluster.scratch,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: base,
      AUTH_SECRET: secret,
      LOG_LEVEL: 'warn',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      SMTP_URL: smtpUrl,
      MAIL_FROM: 'Baton demo <baton@baton-demo.example>',
    })
    step('starting the API and the workers')
    const logger = pino({ level: 'warn' }, pino.destination({ dest: logFile, sync: true }))
    services = await startServices(config, url, { logger })
    await services.app.listen({ port, host: '127.0.0.1' })
    return {
      base,
      secret: new TextEncoder().encode(secret),
      database: cluster.embedded ? 'embedded PostgreSQL (scratch dir under the OS temp dir)' : `DATABASE_URL, database ${DATABASE}`,
      logLines: async () => (await readFile(logFile, 'utf8').catch(() => '')).split('\n').filter(Boolean),
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}
