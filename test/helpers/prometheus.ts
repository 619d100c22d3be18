// A strict parser of the Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/). The npm parsers tried
// (parse-prometheus-text-format 1.1.1, exposition 1.2.0) merge or garble histograms with
// labels, so tests use this one: it throws on anything the format does not allow.

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Family {
  name: string
  help: string
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'
  samples: Sample[]
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])
const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] }

function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Infinity
  if (text === '-Inf') return -Infinity
  if (text === 'NaN') return NaN
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`not a number: "${text}" in: ${line}`)
  return Number(text)
}

/** `{a="1",b="x\"y"}` → labels; returns the labels and where the block ended. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {}
  let i = start + 1
  while (line[i] !== '}') {
    const eq = line.indexOf('=', i)
    const name = line.slice(i, eq)
    if (eq < 0 || !LABEL_NAME.test(name) || line[eq + 1] !== '"') throw new Error(`bad label at ${i}: ${line}`)
    if (name in labels) throw new Error(`repeated label ${name}: ${line}`)
    let value = ''
    for (i = eq + 2; line[i] !== '"'; i++) {
      if (i >= line.length) throw new Error(`unterminated label value: ${line}`)
      if (line[i] === '\\') {
        const next = line[++i]
        value +=
          next === 'n'
            ? '\n'
            : next === '\\' || next === '"'
              ? next
              : (() => {
                  throw new Error(`bad escape \\${next}: ${line}`)
                })()
      } else value += line[i]
    }
    labels[name] = value
    i++
    if (line[i] === ',') i++
    else if (line[i] !== '}') throw new Error(`expected , or } at ${i}: ${line}`)
  }
  return { labels, end: i + 1 }
}

export function parsePrometheus(text: string): Family[] {
  const families = new Map<string, Family>()
  const familyOf = (sampleName: string): Family => {
    for (const family of families.values()) {
      if ((SUFFIXES[family.type] ?? ['']).some((suffix) => family.name + suffix === sampleName)) return family
    }
    throw new Error(`sample ${sampleName} has no # TYPE before it`)
  }
  for (const line of text.split('\n')) {
    if (line === '') continue
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line)
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string]
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name: ${line}`)
      const family = families.get(name) ?? { name, help: '', type: 'untyped' as const, samples: [] }
      if (kind === 'HELP') family.help = rest
      else if (TYPES.has(rest)) family.type = rest as Family['type']
      else throw new Error(`bad type: ${line}`)
      families.set(name, family)
      continue
    }
    if (line.startsWith('#')) continue
    const nameEnd = line.search(/[{ ]/)
    const name = line.slice(0, nameEnd)
    if (!METRIC_NAME.test(name)) throw new Error(`bad sample name: ${line}`)
    const { labels, end } = line[nameEnd] === '{' ? parseLabels(line, nameEnd) : { labels: {}, end: nameEnd }
    const [valueText, timestamp, extra] = line.slice(end).trim().split(/\s+/)
    if (valueText === undefined || extra !== undefined || (timestamp !== undefined && !/^-?\d+$/.test(timestamp)))
      throw new Error(`bad sample: ${line}`)
    familyOf(name).samples.push({ name, labels, value: parseValue(valueText, line) })
  }
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family)
  return [...families.values()]
}

/** Buckets cumulative and ending in +Inf = _count, per label set. */
function checkHistogram(family: Family): void {
  const series = new Map<string, Sample[]>()
  for (const sample of family.samples) {
    const { le: _le, ...rest } = sample.labels
    const key = JSON.stringify(rest)
    series.set(key, [...(series.get(key) ?? []), sample])
  }
  for (const [key, samples] of series) {
    const buckets = samples.filter((s) => s.name.endsWith('_bucket'))
    const count = samples.find((s) => s.name.endsWith('_count'))?.value
    for (let i = 1; i < buckets.length; i++) {
      if (buckets[i]!.value < buckets[i - 1]!.value) throw new Error(`${family.name}${key}: buckets not cumulative`)
    }
    const inf = buckets.find((b) => b.labels.le === '+Inf')
    if (!inf || inf.value !== count) throw new Error(`${family.name}${key}: +Inf bucket must equal _count`)
  }
}

/** The value of the sample named `name` (default: the family) whose labels include `labels`; 0 when absent. */
export function sampleValue(families: Family[], family: string, labels: Record<string, string> = {}, name = family): number {
  const found = families
    .find((f) => f.name === family)
    ?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  return found?.value ?? 0
}
