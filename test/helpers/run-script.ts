import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { EnvSchema } from '../../src/config.ts'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** What a finished script printed and how it exited. */
export interface ScriptResult {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs `node <script> ...args` from the project root as a user's shell would: none of
 * the Baton variables of this process leak in, only `env`. Killed if the test ends first.
 */
export function runScript(t: Test, script: string, args: string[], env: Record<string, string>): Promise<ScriptResult> {
  const inherited: NodeJS.ProcessEnv = { ...process.env }
  for (const key of Object.keys(EnvSchema.properties)) delete inherited[key]
  const child = spawn(process.execPath, [script, ...args], { cwd: ROOT, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })))
}
