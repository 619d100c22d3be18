import { setTimeout as sleep } from 'node:timers/promises'

/** Polls `check` every `everyMs` until it answers something truthy, or gives up after `ms`. */
export async function waitFor<T>(check: () => Promise<T>, ms: number, everyMs = 50): Promise<T | undefined> {
  const until = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value || Date.now() > until) return value || undefined
    await sleep(everyMs)
  }
}
