import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose'
import type { Config } from '../config.ts'
import { keysFor, LOCAL_AUDIENCE, LOCAL_ISSUER, ROLES, verifyWithKeys, type Role, type SigningKeys } from '../lib/auth-keys.ts'
import type { Clock } from '../lib/clock.ts'
import { Forbidden, Unauthorized } from '../lib/errors.ts'
import { isUuid } from '../lib/ids.ts'

/** The verified caller of a request. `repId` is set for rep tokens (their `sub`, in lower case, as ids are stored). */
export interface Principal {
  role: Role
  subject: string | undefined
  repId: string | undefined
}

/** A principal as a request's credential proved it. */
export interface RequestPrincipal extends Principal {
  /**
   * Which credential it is, for what is kept per caller (Idempotency-Key): `sub:<sub>`, else
   * `jti:<jti>`, else `token:<SHA-256 of the token>`, so two tokens without either never share;
   * an API key will be `key:<id>`.
   */
  credential: string
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Roles allowed on the route, or 'public'. A route that says nothing is admin-only. */
    auth?: readonly Role[] | 'public'
  }
  interface FastifyRequest {
    principal: RequestPrincipal | null
  }
}

export interface AuthOptions {
  config: Pick<Config, 'auth'>
  /** Baton's own HS256 keys; undefined when only an external issuer is trusted. */
  signingSecret: SigningKeys | undefined
  clock: Clock
}

const EXTERNAL_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA']

/**
 * Bearer JWT authentication on every route, deny by default. Tokens Baton issued (HS256)
 * are checked against its own key of their `kid`; anything else against the external JWKS,
 * its issuer and audience. Every token must expire.
 */
export const authPlugin = fp(async (app: FastifyInstance, { config, signingSecret, clock }: AuthOptions) => {
  const { jwksUrl, issuer, audience } = config.auth
  // loadConfig requires both; a config made another way must not trust every audience of the issuer.
  if (jwksUrl && !(issuer && audience))
    throw new Error("AUTH_JWKS_URL needs AUTH_ISSUER and AUTH_AUDIENCE: the issuer's tokens for other services must not pass")
  const jwks = jwksUrl ? createRemoteJWKSet(new URL(jwksUrl)) : undefined

  const verified = createVerifiedTokenCache(clock)

  async function verify(token: string): Promise<JWTPayload> {
    const known = verified.get(token)
    if (known) return known
    const claims = await verifySignature(token)
    verified.add(token, claims)
    return claims
  }

  async function verifySignature(token: string): Promise<JWTPayload> {
    let header: ProtectedHeaderParameters
    try {
      header = decodeProtectedHeader(token)
    } catch {
      throw new Unauthorized('The bearer token is not a JWT.')
    }
    const { alg, kid } = header
    const common = { currentDate: clock.now(), clockTolerance: CLOCK_TOLERANCE_S, requiredClaims: ['exp'] }
    if (alg === 'HS256' && signingSecret) {
      const candidates = keysFor(signingSecret, kid)
      if (candidates.length === 0)
        throw new Unauthorized(
          `The bearer token was refused: it names signing key ${JSON.stringify(kid)}, which this Baton does not have (retired, or never ` +
            `configured).`,
        )
      return refusedAsUnauthorized(verifyWithKeys(token, candidates, { ...common, issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE }))
    }
    if (alg !== 'HS256' && jwks) {
      return refusedAsUnauthorized(
        jwtVerify(token, jwks, { ...common, algorithms: EXTERNAL_ALGORITHMS, issuer, audience }).then((verified) => verified.payload),
      )
    }
    throw new Unauthorized(`Tokens signed with ${alg ?? 'no algorithm'} are not accepted here.`)
  }

  async function authenticate(request: FastifyRequest): Promise<RequestPrincipal> {
    const header = request.headers.authorization
    if (!header) throw new Unauthorized('This route needs a bearer token (Authorization: Bearer <jwt>).')
    const [scheme, token] = header.split(' ')
    if (scheme?.toLowerCase() !== 'bearer' || !token) throw new Unauthorized('The Authorization header must be "Bearer <jwt>".')
    const claims = await verify(token)
    const role = claims.role
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
      throw new Forbidden(`The token carries no Baton role (expected "role" to be one of ${ROLES.join(', ')}).`)
    }
    if (role === 'rep' && !(claims.sub && isUuid(claims.sub))) {
      throw new Forbidden('A rep token must carry the rep id as its "sub" claim.')
    }
    // Ids are stored in lower case; an issuer may write the rep's id in capitals.
    const subject = role === 'rep' ? claims.sub!.toLowerCase() : claims.sub
    return {
      role: role as Role,
      subject,
      repId: role === 'rep' ? subject : undefined,
      credential: credentialOf(token, subject, claims.jti),
    }
  }

  app.decorateRequest('principal', null)
  app.addHook('onRequest', async (request) => {
    if (request.is404) return // an unknown route answers 404, token or not
    const allowed = request.routeOptions.config.auth ?? ['admin']
    if (allowed === 'public') return
    request.principal = await authenticate(request)
    if (!allowed.includes(request.principal.role)) {
      throw new Forbidden(`This route is for ${allowed.join(' or ')} tokens; yours is ${request.principal.role}.`)
    }
  })
})

// A verified token is trusted again without its signature (an HMAC or RSA verification
// on every request is the biggest CPU cost of a small request) for at most this long,
// and never past its own exp/nbf by the service clock. Bounded: the oldest go first.
const VERIFIED_TTL_MS = 60_000
const VERIFIED_MAX = 10_000
const CLOCK_TOLERANCE_S = 5

function createVerifiedTokenCache(clock: Clock) {
  const entries = new Map<string, { claims: JWTPayload; until: number }>()
  return {
    get(token: string): JWTPayload | undefined {
      const entry = entries.get(token)
      if (!entry) return undefined
      const now = clock.now().getTime()
      const early = entry.claims.nbf !== undefined && now < (entry.claims.nbf - CLOCK_TOLERANCE_S) * 1000
      if (now < entry.until && !early) return entry.claims
      entries.delete(token)
      return undefined
    },
    add(token: string, claims: JWTPayload): void {
      const now = clock.now().getTime()
      const expires = ((claims.exp ?? 0) + CLOCK_TOLERANCE_S) * 1000 // every verified token has an exp
      if (entries.size >= VERIFIED_MAX) entries.delete(entries.keys().next().value!)
      entries.set(token, { claims, until: Math.min(now + VERIFIED_TTL_MS, expires) })
    },
  }
}

/** The identity of the credential a token is, for RequestPrincipal.credential. */
function credentialOf(token: string, subject: string | undefined, jti: unknown): string {
  if (subject) return `sub:${subject}`
  if (typeof jti === 'string' && jti !== '') return `jti:${jti}`
  return `token:${createHash('sha256').update(token).digest('base64url')}`
}

async function refusedAsUnauthorized(verifying: Promise<JWTPayload>): Promise<JWTPayload> {
  try {
    return await verifying
  } catch (error) {
    throw new Unauthorized(`The bearer token was refused: ${describeJoseError(error)}.`)
  }
}

function describeJoseError(error: unknown): string {
  const { code, claim, reason } = error as { code?: string; claim?: string; reason?: string }
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'it has expired'
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'its signature does not verify'
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'exp' && reason === 'missing') return 'it has no "exp" claim, and only tokens that expire are accepted'
      return `claim "${claim}" is not acceptable`
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'no key of the issuer matches it'
    default:
      return 'it is malformed or could not be verified'
  }
}
