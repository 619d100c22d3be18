// npm test: runs tap against a real PostgreSQL (embedded unless DATABASE_URL is set).
// One template database is migrated once; every test file clones it (test/helpers/db.ts),
// so files run in parallel without seeing each other's rows.
// Extra arguments go to tap: `npm test -- test/modules/reps.test.ts`.
import { spawn } from 'node:child_process'
import { chmod, mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { Parser, type Result } from 'tap-parser'
import { ConfigError, loadConfig } from '../src/config.ts'
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.ts'
import { migrate } from '../src/db/migrate.ts'

const RESULTS_DIR = '.tap/test-results'
// Durability buys nothing for throwaway test data and costs most of the time.
const FAST_SETTINGS = { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }
// Node 24 runs the TypeScript itself (type stripping keeps every offset of the
// source), as it does for the server processes some tests spawn. With tap's ts-node
// loader the two kinds of process reported coverage of different code for the same
// file, and merging them undercounted. (.taprc cannot remove a plugin; the flag can.)
const TAP_FLAGS = ['--plugin=!@tapjs/typescript']
const TAP = path.resolve('node_modules/.bin/tap')
// Where tap compiles its plugin set; a changed set only reaches the runner after a build.
const TAP_BUILT = 'node_modules/@tapjs/test/test-built/src/index.ts'

let databaseUrl: string | undefined
try {
  databaseUrl = loadConfig().databaseUrl
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error)
  process.exit(1)
}

const template = `baton_test_${process.pid}`
let embedded: EmbeddedDatabase | undefined
let scratch: string | undefined
let adminUrl = databaseUrl
if (!adminUrl) {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'baton-test-'))
  await chmod(scratch, 0o755) // as root, PostgreSQL runs as another user that must reach its data dir
  embedded = await startEmbeddedPostgres({ dataDir: scratch, log: () => {}, settings: FAST_SETTINGS })
  adminUrl = embedded.adminUrl
}
const databaseAt = (name: string) => Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString()

let exitCode: number
try {
  await admin(`create database "${template}"`)
  await migrate(databaseAt(template))
  await rm(RESULTS_DIR, { recursive: true, force: true })
  await buildTapWithoutTypeScriptPlugin()
  const args = process.argv.slice(2)
  // Thresholds are about the whole suite: a run of a few named files reports its
  // coverage but does not fail on it. The full run (npm test, CI) enforces .taprc.
  const namesFiles = args.some((arg) => arg.endsWith('.ts'))
  exitCode = await runTap(namesFiles ? ['--allow-incomplete-coverage', ...args] : args, {
    BATON_TEST_ADMIN_URL: adminUrl,
    BATON_TEST_TEMPLATE: template,
  })
} finally {
  await dropTestDatabases().catch((error) => console.error('could not drop test databases:', error))
  await embedded?.stop()
  if (scratch) await rm(scratch, { recursive: true, force: true })
}

const { passed, failed: failedPoints, skipped } = await countResults()
// A file that crashed before reporting, or coverage under .taprc, fails the run with no failing point: never print "0 failed" then.
const failed = exitCode !== 0 && failedPoints === 0 ? 1 : failedPoints
if (failed !== failedPoints) console.log('tap failed without a failing test: a file crashed or coverage fell below .taprc (see above)')
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(exitCode !== 0 || failed > 0 ? 1 : 0)

async function admin(sql: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    return await client.query(sql, params)
  } finally {
    await client.end()
  }
}

async function dropTestDatabases() {
  const { rows } = await admin('select datname from pg_database where datname like $1', [`${template}%`])
  for (const { datname } of rows) await admin(`drop database if exists "${datname}" with (force)`)
}

/**
 * tap rebuilds itself when its plugin set changes, but the runner that notices
 * still loads test files the old way (a fresh clone's first run would use ts-node).
 * So build first, once, whenever the built set still has the TypeScript loader.
 */
async function buildTapWithoutTypeScriptPlugin(): Promise<void> {
  const built = await readFile(TAP_BUILT, 'utf8').catch(() => '')
  if (built !== '' && !built.includes('@tapjs/typescript')) return
  const code = await new Promise<number | null>((resolve) =>
    spawn(TAP, ['build', ...TAP_FLAGS], { stdio: ['ignore', 'ignore', 'inherit'] }).on('exit', resolve),
  )
  if (code !== 0) throw new Error(`tap build failed (exit ${code})`)
}

function runTap(args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(TAP, [...TAP_FLAGS, ...args], { stdio: 'inherit', env: { ...process.env, ...env } })
    // Ctrl-C reaches tap directly (same process group); wait for it, then clean up.
    process.on('SIGINT', () => {})
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)))
  })
}

/** Assertions of every file tap ran, as tap's own summary counts them (subtest closers excluded). */
async function countResults() {
  const counts = { passed: 0, failed: 0, skipped: 0 }
  const visit = (parser: Parser) => {
    parser.on('assert', (result: Result) => {
      if (result.closingTestPoint) return
      if (result.skip || result.todo) counts.skipped++
      else if (result.ok) counts.passed++
      else counts.failed++
    })
    parser.on('child', visit)
  }
  const files = await readdir(RESULTS_DIR, { recursive: true }).catch(() => [] as string[])
  for (const file of files.filter((f) => f.endsWith('.tap'))) {
    const parser = new Parser()
    visit(parser)
    parser.end(await readFile(path.join(RESULTS_DIR, file), 'utf8'))
  }
  return counts
}
