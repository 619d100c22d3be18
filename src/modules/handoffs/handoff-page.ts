// The handoff page: what every notification's link opens. Server-rendered HTML with no
// script (correct without JavaScript, and the strict CSP allows none), laid out for a phone
// first, with labelled controls in reading order. GET renders it; its two forms POST.
import type { HandoffState, LeadRow } from '../../db/schema/index.ts'
import { localTime, timeLeft } from '../notifications/messages.ts'

/** The reasons a rep picks from; "Other" asks for the free text. */
export const DECLINE_REASONS = [
  'Not my territory or segment',
  'No capacity right now',
  'Out of office',
  'I know this contact already (conflict)',
  'Not a real lead (spam, student, competitor)',
  'Other',
] as const

export interface HandoffPage {
  lead: LeadRow
  handoff: HandoffState
  rep: { name: string; timezone: string }
  now: Date
  /** Where the forms post: the link itself, so the token never leaves the query string it came in. */
  acceptAction: string
  declineAction: string
  /** The decline link of a notification: the decline form comes first and has the focus. */
  declineFirst: boolean
  /** A decline sent without a reason, shown above the form. */
  error?: string
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

export function handoffPage(p: HandoffPage): string {
  const { lead, handoff } = p
  const name = [lead.firstName, lead.lastName].filter(Boolean).join(' ') || lead.email
  const title = typeof lead.custom?.title === 'string' ? lead.custom.title : null
  const facts: Array<[string, string | null]> = [
    ['Company', lead.company],
    ['Title', title],
    ['Email', lead.email],
    ['Phone', lead.phone],
    ['Size', lead.employees ? `${lead.employees} employees` : null],
    ['Country', lead.country],
    ['Source', lead.source],
  ]
  const signals = Object.entries(lead.signals ?? {}).map(([key, value]) => `${key}: ${value === true ? 'yes' : String(value)}`)
  // A scoring rule's reason is its points; the rule's name says what earned them.
  const reasons = lead.decision.reasons.map((r) => (r.points === undefined ? r.detail : `${r.rule}: ${r.points > 0 ? '+' : ''}${r.points}`))
  const deadline = `${localTime(handoff.deadlineAt, p.rep.timezone)}, ${timeLeft(p.now, handoff.deadlineAt)}`
  const why =
    handoff.ruleName === 'escalation' ? 'Escalated to you: the reps before you did not take it.' : `Rule "${handoff.ruleName ?? 'routing'}"`

  const accept = `<form method="post" action="${escape(p.acceptAction)}" class="card">
<h2 id="accept-h">Accept</h2><p>The lead becomes yours; the first-contact clock starts.</p>
<button type="submit" aria-describedby="accept-h">Accept the lead</button></form>`
  const options = DECLINE_REASONS.map(
    (reason, i) =>
      `<div class="opt"><input type="radio" name="reason" id="r${i}" value="${escape(reason)}" required${
        i === 0 && p.declineFirst ? ' autofocus' : ''
      }><label for="r${i}">${escape(reason)}</label></div>`,
  ).join('')
  const decline = `<form method="post" action="${escape(p.declineAction)}" class="card">
<h2>Decline</h2>${p.error ? `<p class="error" role="alert">${escape(p.error)}</p>` : ''}
<fieldset><legend>Why are you passing it on?</legend>${options}</fieldset>
<label for="note" class="block">Anything the next rep or your manager should know (optional, required for "Other")</label>
<textarea id="note" name="note" rows="3" maxlength="500"></textarea>
<button type="submit" class="secondary">Decline and pass it on</button></form>`

  const body = `<main>
<p class="eyebrow">Lead for ${escape(p.rep.name)}</p>
<h1>${escape(name)}</h1>
<p class="deadline"><strong>Accept by ${escape(deadline)}</strong></p>
<dl>${facts.flatMap(([k, v]) => (v ? [`<dt>${k}</dt><dd>${escape(v)}</dd>`] : [])).join('')}</dl>
${section('What they asked for', [...signals, ...(lead.productInterest.length ? [`Interested in: ${lead.productInterest.join(', ')}`] : [])])}
${section(`Why it scored ${lead.score}${lead.tier ? ` (${lead.tier})` : ''}`, reasons)}
${section('Why you', [why])}
${p.declineFirst ? decline + accept : accept + decline}
</main>`
  return document(`${name} · accept by ${localTime(handoff.deadlineAt, p.rep.timezone)}`, body)
}

/** A one-message page: the outcome of a form, or why a link cannot be used. */
export function resultPage(title: string, text: string): string {
  return document(title, `<main><h1>${escape(title)}</h1><p>${escape(text)}</p></main>`)
}

const section = (heading: string, items: string[]) =>
  items.length ? `<h2>${escape(heading)}</h2><ul>${items.map((i) => `<li>${escape(i)}</li>`).join('')}</ul>` : ''

// Colours: #111 on #fff and #fff on #1d4ed8 pass WCAG AA for text (≥ 4.5:1); focus is always visible.
const STYLE = `*{box-sizing:border-box}body{font:17px/1.5 system-ui,sans-serif;color:#111;background:#fff;margin:0}
main{max-width:36rem;margin:0 auto;padding:1rem}h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.15rem;margin:1.2rem 0 .4rem}
.eyebrow{color:#444;margin:0}.deadline{font-size:1.1rem;background:#fff7d6;padding:.5rem .75rem;border-radius:6px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{color:#444}dd{margin:0;overflow-wrap:anywhere}
ul{padding-left:1.2rem}.card{border:1px solid #ccc;border-radius:8px;padding:1rem;margin:1rem 0}
fieldset{border:0;padding:0;margin:0 0 .75rem}legend{font-weight:600;margin-bottom:.4rem}.opt{display:flex;gap:.5rem;padding:.3rem 0}
.opt input{flex:none;width:1.3rem;height:1.3rem;margin:.1rem 0}.block{display:block;margin:.5rem 0 .25rem}
textarea{width:100%;font:inherit;padding:.5rem;border:1px solid #767676;border-radius:6px}
button{font:inherit;font-weight:600;width:100%;min-height:3rem;margin-top:.75rem;border-radius:8px;border:2px solid #1d4ed8;
background:#1d4ed8;color:#fff;cursor:pointer}button.secondary{background:#fff;color:#1d4ed8}
:focus-visible{outline:3px solid #b45309;outline-offset:2px}.error{color:#b91c1c;font-weight:600}`

function document(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)} · Baton</title>
<style>${STYLE}</style></head><body>${body}</body></html>`
}
