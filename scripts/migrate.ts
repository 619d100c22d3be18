// Applies drizzle and pg-boss migrations under an advisory lock, then exits (non-zero on failure).
import { ConfigError, loadConfig } from '../src/config.ts'
import { startRuntimeDatabase } from '../src/runtime.ts'

try {
  const config = loadConfig()
  const database = await startRuntimeDatabase(config)
  await database.stop()
  console.log('migrations applied')
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error)
  process.exit(1)
}
