// The drill's answer: one table on stdout, and the same rows (with the raw incidents)
// as JSON under drill/results/.
import { mkdir, writeFile } from 'node:fs/promises'
import os from 'node:os'
import type { Incident } from './http.ts'
import type { Row } from './invariants.ts'
import type { Step } from './chaos.ts'
import type { Crash } from './services.ts'

/** Prints the rows as a table; a check shows ok / FAIL, a figure shows nothing there. Long details wrap (4 lines at most). */
export function printTable(rows: Row[]): void {
  const width = (key: 'phase' | 'check', max: number) => Math.min(max, Math.max(key.length, ...rows.map((r) => r[key].length)))
  const phaseW = width('phase', 10)
  const checkW = width('check', 64)
  const detailW = Math.max(40, (process.stdout.columns || 180) - phaseW - checkW - 12)
  const line = (phase: string, result: string, check: string, detail: string) =>
    `${phase.padEnd(phaseW)} │ ${result.padEnd(4)} │ ${check.padEnd(checkW)} │ ${detail}`
  console.log(line('phase', '', 'check', 'detail'))
  console.log(`${'─'.repeat(phaseW)}─┼──────┼─${'─'.repeat(checkW)}─┼─${'─'.repeat(detailW)}`)
  for (const row of rows) {
    const checks = chunks(row.check, checkW)
    const details = chunks(row.detail, detailW)
    const lines = Math.min(4, Math.max(checks.length, details.length))
    for (let i = 0; i < lines; i++) {
      const detail = i === 3 && details.length > 4 ? `${details[i]!.slice(0, detailW - 1)}…` : (details[i] ?? '')
      console.log(line(i ? '' : row.phase, i ? '' : row.ok === undefined ? '' : row.ok ? 'ok' : 'FAIL', checks[i] ?? '', detail))
    }
  }
}

function chunks(text: string, size: number): string[] {
  const out: string[] = []
  for (let at = 0; at < text.length; at += size) out.push(text.slice(at, at + size))
  return out.length ? out : ['']
}

export async function writeResults({
  rows,
  steps,
  incidents,
  crashes,
  serviceErrors,
  seconds,
  seed,
  leads,
  stamp,
}: {
  rows: Row[]
  steps: Step[]
  incidents: Incident[]
  crashes: Crash[]
  serviceErrors: Array<[string, number]>
  seconds: number
  seed: number
  leads: number
  stamp: string
}): Promise<string> {
  await mkdir('drill/results', { recursive: true })
  const file = `drill/results/${stamp}.json`
  const machine = { cpus: os.cpus().length, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version }
  const body = {
    machine,
    seed,
    leads,
    seconds: Math.round(seconds),
    passed: rows.every((r) => r.ok !== false),
    rows,
    steps,
    crashes,
    incidents: incidents.slice(0, 500),
    serviceErrors,
  }
  await writeFile(file, `${JSON.stringify(body, null, 2)}\n`)
  return file
}
