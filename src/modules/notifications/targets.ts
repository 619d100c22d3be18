import { invalidFields } from '../../lib/errors.ts'
import { webhookUrlProblem } from '../../lib/ssrf.ts'
import type { NotificationTarget } from '../../db/schema/reps.ts'

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
