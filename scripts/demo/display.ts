// The live view: on a terminal, one block redrawn in place about once a second; in a
// log (CI, a pipe), one plain line every few seconds. Plain ANSI escapes, no library.
import type { RepCounters } from './reps.ts'
import type { World } from './world.ts'

/** The part of GET /v1/metrics/handoffs the display reads (one group's figures). */
export interface Figures {
  funnel: {
    received: number
    qualified: number
    disqualified: number
    assigned: number
    accepted: number
    contacted: number
    converted: number
  }
  timeToAcceptSeconds: { count: number; p50: number | null; p90: number | null }
  handoffs: { offered: number; accepted: number; declined: number; expired: number; slaBreachRate: number | null }
  rates: { reroute: number | null; escalation: number | null; firstContactOverdue: number | null }
  unroutedSeconds: { count: number }
}

/** Everything one frame shows. */
export interface Frame {
  elapsedS: number
  streamS: number
  sent: number
  total: number
  phase: 'streaming' | 'settling' | 'done'
  figures: Figures | undefined
  metricsError: string | undefined
  pending: Map<string, number>
  away: Set<string>
  counters: RepCounters
  ticker: string[]
}

const tty = process.stdout.isTTY && !process.env.NO_COLOR
const paint = (code: string) => (text: string) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text)
export const bold = paint('1')
export const dim = paint('2')
export const green = paint('32')
export const yellow = paint('33')
export const red = paint('31')
export const cyan = paint('36')

/** Visible length: without the escape sequences. */
// eslint-disable-next-line no-control-regex
const visible = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '').length
export const pad = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - visible(text)))
export const padLeft = (text: string, width: number) => ' '.repeat(Math.max(0, width - visible(text))) + text
export const seconds = (value: number | null | undefined) => (value === null || value === undefined ? '–' : `${value.toFixed(1)} s`)
export const percent = (value: number | null | undefined) => (value === null || value === undefined ? '–' : `${(value * 100).toFixed(1)} %`)

/** Draws frames: in place on a terminal, as periodic lines otherwise. */
export function createDisplay(world: World) {
  let drawn = 0
  let lastLine = -Infinity
  if (process.stdout.isTTY) process.stdout.write('\x1b[?25l') // hide the cursor while redrawing

  return {
    draw(frame: Frame) {
      if (process.stdout.isTTY) {
        const width = process.stdout.columns || 100
        // Cut lines to the terminal's width: a wrapped line would break the redraw.
        const lines = block(world, frame).map((line) => (visible(line) > width ? cut(line, width) : line))
        process.stdout.write(`${drawn ? `\x1b[${drawn}F\x1b[0J` : ''}${lines.join('\n')}\n`)
        drawn = lines.length
      } else if (frame.phase === 'done' || frame.elapsedS - lastLine >= 5) {
        lastLine = frame.elapsedS
        console.log(line(frame))
      }
    },
    close() {
      if (process.stdout.isTTY) process.stdout.write('\x1b[?25h')
    },
  }
}

function block(world: World, f: Frame): string[] {
  const progress = Math.min(1, f.sent / Math.max(1, f.total))
  const bar = `${green('█'.repeat(Math.round(progress * 30)))}${dim('░'.repeat(30 - Math.round(progress * 30)))}`
  const phase = f.phase === 'streaming' ? 'streaming leads' : f.phase === 'settling' ? 'stream done: waiting for the last handoffs' : 'done'
  const lines = ['', `${bold('Baton live')}  ${bar}  ${f.sent}/${f.total} leads sent  ${dim(`${Math.floor(f.elapsedS)} s · ${phase}`)}`, '']
  if (!f.figures) {
    lines.push(f.metricsError ? red(`  GET /v1/metrics/handoffs failed: ${f.metricsError}`) : dim('  waiting for the first figures…'))
  } else {
    const { funnel, timeToAcceptSeconds: tta, handoffs: h, rates } = f.figures
    const top = Math.max(1, funnel.received)
    const stage = (name: string, value: number, note = '') =>
      `  ${pad(name, 11)}${padLeft(String(value), 5)}  ${cyan('▇'.repeat(Math.round((value / top) * 32)))}${note ? `  ${dim(note)}` : ''}`
    lines.push(
      stage('received', funnel.received, `${funnel.disqualified} disqualified`),
      stage('qualified', funnel.qualified),
      stage(
        'assigned',
        funnel.assigned,
        f.figures.unroutedSeconds.count ? `${f.figures.unroutedSeconds.count} waited with nobody eligible` : '',
      ),
      stage('accepted', funnel.accepted),
      stage('contacted', funnel.contacted),
      stage('converted', funnel.converted),
      '',
      `  time to accept   p50 ${bold(seconds(tta.p50))}   p90 ${bold(seconds(tta.p90))}   ${dim(`(${world.acceptWithinSeconds} s allowed per offer)`)}`,
      `  offers           ${h.offered} made · ${green(`${h.accepted} accepted`)} · ${yellow(`${h.declined} declined`)} · ${red(`${h.expired} expired`)} · SLA breach ${bold(percent(h.slaBreachRate))}`,
      `  re-routed        ${percent(rates.reroute)} of assigned leads · escalated ${percent(rates.escalation)} · contact overdue ${percent(rates.firstContactOverdue)}`,
      `  webhooks         ${f.counters.deliveries} deliveries received · ${f.counters.uniqueEvents} events${f.counters.badSignatures ? red(` · ${f.counters.badSignatures} bad signatures`) : ' · all signatures valid'}`,
    )
  }
  lines.push('', `  ${dim('reps (pending offers)')}`)
  for (const region of ['Americas', 'EMEA', 'APAC']) {
    const cells = world.reps
      .filter((r) => r.region === region)
      .map((r) => {
        const state = r.off
          ? dim(r.off === 'holiday' ? 'holiday' : 'off shift')
          : f.away.has(r.id)
            ? yellow('away')
            : green('●'.repeat(f.pending.get(r.id) ?? 0) || '·')
        return pad(`${r.name} ${state}`, 26)
      })
    lines.push(`  ${dim(pad(region, 9))}${cells.join('')}`)
  }
  lines.push('', ...f.ticker.map((t) => `  ${dim(t)}`))
  return lines
}

function line(f: Frame): string {
  const head = `[${padLeft(String(Math.floor(f.elapsedS)), 3)} s] sent ${f.sent}/${f.total}`
  if (!f.figures) return `${head} · ${f.metricsError ? `metrics failed: ${f.metricsError}` : 'no figures yet'}`
  const { funnel: n, timeToAcceptSeconds: t, handoffs: h } = f.figures
  return (
    `${head} · received ${n.received} · qualified ${n.qualified} · assigned ${n.assigned} · accepted ${n.accepted} · contacted ${n.contacted} · converted ${n.converted}` +
    ` · accept p50 ${seconds(t.p50)} p90 ${seconds(t.p90)} · SLA breach ${percent(h.slaBreachRate)} · re-routed ${percent(f.figures.rates.reroute)} · webhooks ${f.counters.deliveries}`
  )
}

/** Cuts a line with escape sequences to `width` visible characters. */
function cut(text: string, width: number): string {
  let out = ''
  let shown = 0
  // eslint-disable-next-line no-control-regex
  for (const part of text.split(/(\x1b\[[0-9;]*m)/)) {
    if (part.startsWith('\x1b[')) out += part
    else {
      const room = width - 1 - shown
      out += part.slice(0, Math.max(0, room))
      shown += Math.min(part.length, Math.max(0, room))
    }
  }
  return `${out}\x1b[0m`
}
