import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose'
import type { Config } from '../config.ts'
import { LOCAL_AUDIENCE, LOCAL_ISSUER, ROLES, type Role } from '../lib/auth-keys.ts'
import type { Clock } from '../lib/clock.ts'
import { Forbidden, Unauthorized } from '../lib/errors.ts'
import { isUuid } from '../lib/ids.ts'

/** The verified caller of a request. `repId` is set for rep tokens (their `sub`). */
export interface Principal {
  role: Role
  subject: string | undefined
  repId: string | undefined
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Roles allowed on the route, or 'public'. A route that says nothing is admin-only. */
    auth?: readonly Role[] | 'public'
  }
  interface FastifyRequest {
    principal: Principal | null
  }
}

export interface AuthOptions {
  config: Pick<Config, 'auth'>
  signingSecret: Uint8Array | undefined
  clock: Clock
}

const EXTERNAL_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA']

/**
 * Bearer JWT authentication on every route, deny by default. Tokens Baton issued
 * (HS256) are checked against its own key; anything else against the external JWKS.
 */
export const authPlugin = fp(async (app: FastifyInstance, { config, signingSecret, clock }: AuthOptions) => {
  const jwks = config.auth.jwksUrl ? createRemoteJWKSet(new URL(config.auth.jwksUrl)) : undefined

  const verified = createVerifiedTokenCache(clock)

  async function verify(token: string): Promise<JWTPayload> {
    const known = verified.get(token)
    if (known) return known
    const claims = await verifySignature(token)
    verified.add(token, claims)
    return claims
  }

  async function verifySignature(token: string): Promise<JWTPayload> {
    let alg: string | undefined
    try {
      alg = decodeProtectedHeader(token).alg
    } catch {
      throw new Unauthorized('The bearer token is not a JWT.')
    }
    const common = { currentDate: clock.now(), clockTolerance: CLOCK_TOLERANCE_S }
    try {
      if (alg === 'HS256' && signingSecret) {
        return (await jwtVerify(token, signingSecret, { ...common, algorithms: ['HS256'], issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE })).payload
      }
      if (alg !== 'HS256' && jwks) {
        const { issuer, audience } = config.auth
        return (await jwtVerify(token, jwks, { ...common, algorithms: EXTERNAL_ALGORITHMS, ...(issuer ? { issuer } : {}), ...(audience ? { audience } : {}) })).payload
      }
    } catch (error) {
      throw new Unauthorized(`The bearer token was refused: ${describeJoseError(error)}.`)
    }
    throw new Unauthorized(`Tokens signed with ${alg ?? 'no algorithm'} are not accepted here.`)
  }

  async function authenticate(request: FastifyRequest): Promise<Principal> {
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
    return { role: role as Role, subject: claims.sub, repId: role === 'rep' ? claims.sub : undefined }
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
      const expires = claims.exp === undefined ? Infinity : (claims.exp + CLOCK_TOLERANCE_S) * 1000
      if (entries.size >= VERIFIED_MAX) entries.delete(entries.keys().next().value!)
      entries.set(token, { claims, until: Math.min(now + VERIFIED_TTL_MS, expires) })
    },
  }
}

function describeJoseError(error: unknown): string {
  const code = (error as { code?: string }).code
  switch (code) {
    case 'ERR_JWT_EXPIRED': return 'it has expired'
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED': return 'its signature does not verify'
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': return `claim "${(error as { claim?: string }).claim}" is not acceptable`
    case 'ERR_JWKS_NO_MATCHING_KEY': return 'no key of the issuer matches it'
    default: return 'it is malformed or could not be verified'
  }
}
