import { createHmac, createSecretKey } from 'node:crypto'
import { decodeProtectedHeader, errors } from 'jose'
import { keysFor, LOCAL_ISSUER, verifyWithKeys, type SigningKeys } from '../../lib/auth-keys.ts'
import type { Clock } from '../../lib/clock.ts'
import createError from '@fastify/error'
import { BadRequest } from '../../lib/errors.ts'

// Its own audience: an accept link is never an API token, and an API token never an accept link.
const AUDIENCE = 'baton-accept-link'

/** 410: the link's handoff deadline has passed. */
export const LinkExpired = createError<'BATON_LINK_EXPIRED', 410, [string]>('BATON_LINK_EXPIRED', '%s', 410)

/**
 * One-click accept links for notifications: an HS256 JWT naming the handoff and
 * its rep, expiring at the handoff's deadline. Single use by construction: accepting
 * needs a pending handoff, so once it was used (or declined, or expired) it does nothing.
 * `secret` is Baton's key set: the newest signs (its kid in the header), every listed key
 * verifies, so a link sent before a key rotation accepts until its deadline.
 */
export function createAcceptLinks({ secret, publicUrl, clock }: { secret: SigningKeys | undefined; publicUrl: string; clock: Clock }) {
  // Verifying goes through jose, with each key imported once. Signing does not: jose signs
  // through WebCrypto, whose asynchronous HMAC costs the service's one thread far more than
  // node:crypto's, for the link every assignment carries. The token is the same compact JWS;
  // the tests verify it with jose.
  const kid = secret?.current.kid
  const header = base64url(kid ? { alg: 'HS256', typ: 'JWT', kid } : { alg: 'HS256', typ: 'JWT' })
  // A KeyObject made once: from raw bytes, createHmac makes one on every call (5 times slower).
  const signingKey = secret ? createSecretKey(secret.current.secret) : undefined
  return {
    /** The link for a handoff; null when Baton has no signing key of its own (external issuer only). */
    async urlFor(handoff: { id: string; repId: string; deadlineAt: Date }): Promise<string | null> {
      if (!signingKey) return null
      const claims = {
        hid: handoff.id,
        iss: LOCAL_ISSUER,
        aud: AUDIENCE,
        sub: handoff.repId,
        iat: Math.floor(clock.now().getTime() / 1000),
        exp: Math.ceil(handoff.deadlineAt.getTime() / 1000),
      }
      const signingInput = `${header}.${base64url(claims)}`
      const token = `${signingInput}.${createHmac('sha256', signingKey).update(signingInput).digest('base64url')}`
      return `${publicUrl}/v1/handoffs/accept?token=${token}`
    },

    /** The handoff and rep a link names; 400 for a link Baton did not sign as it is, 410 once it expired. */
    async verify(token: string): Promise<{ handoffId: string; repId: string }> {
      if (!secret) throw new BadRequest('This Baton issues no accept links (it has no signing key of its own).')
      try {
        // A kid Baton no longer lists (a retired key) has no candidates: jose's ERR_JWKS_NO_MATCHING_KEY, a 400 below.
        const candidates = keysFor(secret, kidOf(token))
        const payload = await verifyWithKeys(token, candidates, {
          issuer: LOCAL_ISSUER,
          audience: AUDIENCE,
          currentDate: clock.now(),
          requiredClaims: ['exp'],
        })
        if (typeof payload.hid !== 'string' || typeof payload.sub !== 'string') throw new BadRequest('This accept link is not valid.')
        return { handoffId: payload.hid, repId: payload.sub }
      } catch (error) {
        // jose names its failures by code: ERR_JWT_EXPIRED, ERR_JWS_SIGNATURE_VERIFICATION_FAILED, …
        const code = (error as { code?: unknown }).code
        if (code === 'ERR_JWT_EXPIRED') throw new LinkExpired("This accept link expired at the handoff's deadline; the lead has moved on.")
        if (typeof code === 'string' && code.startsWith('ERR_J'))
          throw new BadRequest('This accept link is not valid: it was changed, or not issued by this Baton.')
        throw error
      }
    },
  }
}

export type AcceptLinks = ReturnType<typeof createAcceptLinks>

// decodeProtectedHeader throws a bare TypeError for what is no JWS; as jose's own error it is a 400 like any bad link.
function kidOf(token: string): unknown {
  try {
    return decodeProtectedHeader(token).kid
  } catch {
    throw new errors.JWSInvalid('not a compact JWS')
  }
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
