import { escapePointer } from './json-pointer.ts'

// Deeper than any body Baton defines (routing conditions stop at 10 levels, about 25 of
// JSON): a body past it is refused before anything recurses over it.
export const MAX_JSON_DEPTH = 64

/** The first place in a parsed body that Baton cannot take, walked without recursion. */
export function unstorable(root: unknown): { pointer: string; detail: string } | undefined {
  const stack: Array<{ value: unknown; pointer: string; depth: number }> = [{ value: root, pointer: '', depth: 0 }]
  while (stack.length > 0) {
    const { value, pointer, depth } = stack.pop()!
    if (typeof value === 'string') {
      const detail = badText(value)
      if (detail) return { pointer, detail }
      continue
    }
    if (value === null || typeof value !== 'object') continue
    if (depth >= MAX_JSON_DEPTH) return { pointer, detail: `nests deeper than ${MAX_JSON_DEPTH} levels` }
    for (const [key, child] of Object.entries(value)) {
      const at = `${pointer}/${escapePointer(key)}`
      const detail = badText(key)
      if (detail) return { pointer: at, detail: `has a member name that ${detail.replace(/^must not contain/, 'contains')}` }
      stack.push({ value: child, pointer: at, depth: depth + 1 })
    }
  }
  return undefined
}

function badText(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain the NUL character (\\u0000)'
  if (!text.isWellFormed()) return 'must not contain an unpaired surrogate (e.g. a lone \\ud800)'
  return undefined
}
