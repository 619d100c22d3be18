/** The form tools Baton accepts submissions from (SPEC "Inbound forms"). */
export const SOURCE_KINDS = ['generic', 'typeform', 'tally', 'webflow', 'hubspot'] as const
export type SourceKind = (typeof SOURCE_KINDS)[number]

/** What an adapter sees of an inbound HTTP request: verification is on the raw bytes. */
export interface InboundRequest {
  method: string
  /** The full URL the provider called (scheme, host, path and query), for schemes that sign it. */
  url: string
  /** Header names lower-cased. */
  headers: Record<string, string | undefined>
  rawBody: Buffer
}

export type Verification = { ok: true } | { ok: false; reason: 'missing_signature' | 'bad_signature' | 'stale_timestamp'; detail: string }

/** One form submission, before Baton's field map turns it into a lead. */
export interface Submission {
  /** The provider's own id of this submission: a replay with the same id makes no second lead. */
  submissionId: string | undefined
  /**
   * The submitted values, keyed as the source's field map refers to them
   * (Typeform: field ref; Tally: field key and label; Webflow: field name; generic: the JSON itself).
   */
  fields: Record<string, unknown>
}

export type Extraction = { ok: true; submission: Submission } | { ok: false; detail: string }

/**
 * A provider's signature scheme and payload shape. Pure: no I/O, the clock is passed in.
 * `secret` is the source's signing secret as the provider shows it to the user.
 */
export interface SourceAdapter {
  kind: SourceKind
  verify(request: InboundRequest, secret: string, now: Date): Verification
  /** `request` is there for schemes that carry the submission id in a header (generic: webhook-id). */
  extract(payload: unknown, request: InboundRequest): Extraction
}

/** Providers that sign a timestamp: requests older (or newer) than this are refused as replays. */
export const TIMESTAMP_TOLERANCE_MS = 5 * 60 * 1000
