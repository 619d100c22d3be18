import { invalidFields } from '../../lib/errors.ts'
import { webhookUrlProblem } from '../../lib/ssrf.ts'
import type { NotificationTarget } from '../../db/schema/reps.ts'
import type { SecretBox } from '../../lib/secret-box.ts'
import type { Static } from '@sinclair/typebox'
import type { NotificationTargetView as View } from '../reps/reps.schemas.ts'

type NotificationTargetView = Static<typeof View>

const SLACK_HOOKS = 'https://hooks.slack.com/'

/**
 * A rep's targets, checked before they are saved: every URL against the SSRF guard (as
 * webhook endpoints are), a Slack target only on Slack's own webhook host and Teams only
 * over https, unless private targets are allowed (tests, local demos). 422 naming each.
 */
export async function assertTargets(
  targets: NotificationTarget[] | undefined,
  { allowPrivate }: { allowPrivate: boolean },
  at = '/notificationTargets',
) {
  if (!targets) return
  const errors: Array<{ pointer: string; detail: string }> = []
  for (const [i, target] of targets.entries()) {
    if (target.kind === 'email') continue
    const pointer = `${at}/${i}/url`
    if (!allowPrivate && target.kind === 'slack') {
      // Slack's own host needs no lookup here; sending still checks the address it connects to.
      if (!target.url.startsWith(SLACK_HOOKS))
        errors.push({ pointer, detail: `a Slack target is an incoming-webhook URL under ${SLACK_HOOKS}` })
      continue
    }
    if (!allowPrivate && target.kind === 'teams' && !target.url.startsWith('https://')) {
      errors.push({ pointer, detail: 'a Teams target is an https URL (a Workflows or incoming-webhook URL)' })
      continue
    }
    const problem = await webhookUrlProblem(target.url, { allowPrivate })
    if (problem) errors.push({ pointer, detail: problem })
  }
  if (errors.length > 0) throw invalidFields('The notification targets are invalid.', errors)
}

/** A target as answers show it: a webhook's secret only as its last four characters. */
export function targetView(target: NotificationTarget): NotificationTargetView {
  if (target.kind !== 'webhook') return target
  return { kind: 'webhook', url: target.url, secretHint: target.secretHint ?? '' }
}

/**
 * Targets as they are stored: a webhook's new secret sealed (with its hint), or, when the
 * request leaves it out, the secret the same URL had before; a new URL without one is 422.
 */
export function sealTargets(
  targets: NotificationTarget[],
  previous: NotificationTarget[],
  box: Pick<SecretBox, 'seal'>,
  at = '/notificationTargets',
): NotificationTarget[] {
  const errors: Array<{ pointer: string; detail: string }> = []
  const stored = targets.map((target, i) => {
    if (target.kind !== 'webhook') return target
    if (target.secret)
      return { kind: 'webhook' as const, url: target.url, secret: box.seal(target.secret), secretHint: target.secret.slice(-4) }
    const kept = previous.find((p) => p.kind === 'webhook' && p.url === target.url && p.secret)
    if (kept) return kept
    errors.push({ pointer: `${at}/${i}/secret`, detail: 'a new webhook target needs its signing secret (whsec_ and base64)' })
    return target
  })
  if (errors.length > 0) throw invalidFields('The notification targets are invalid.', errors)
  return stored
}
