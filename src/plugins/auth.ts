import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { duplicateKeyIn } from './json-body.js';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { Config } from '../config.js';
import { HSA_ID_MAX_LENGTH, HSA_ID_PATTERN } from '../domain/hsa-id.js';
import { type Actor, assertRole, ROLES, type Role } from '../lib/actor.js';
import { Unauthorized } from '../lib/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
  }
  interface FastifyInstance {
    /** preHandler: a valid token whose role is one of `roles`, else 401/403. */
    requireRole(roles: readonly Role[]): preHandlerAsyncHookHandler;
  }
}

const HsaIdClaim = z.string().max(HSA_ID_MAX_LENGTH).regex(HSA_ID_PATTERN);
const Claims = z.object({
  sub: HsaIdClaim,
  role: z.enum(ROLES),
  careGiverId: HsaIdClaim,
  units: z.array(HsaIdClaim).max(1_000),
  name: z.string().max(200).optional(),
  exp: z.number(),
  iat: z.number().optional(),
  nbf: z.number().optional(),
});

/**
 * How far ahead of this service's clock a token's iat and nbf may be (clock skew between it and the identity
 * provider): many set nbf = iat, and one whose clock ran a second fast had its fresh tokens refused. exp has none.
 */
const IAT_SKEW_MS = 60_000;

const ROLE_GUARD = Symbol('roleGuard');

const formatHours = (ms: number) => `${Number((ms / 3_600_000).toFixed(2))} h`;

/** Tokens larger than this are refused before any parsing (no legitimate token comes near it). */
const MAX_TOKEN_LENGTH = 8_192;

const REASONS: Record<string, string> = {
  FST_JWT_NO_AUTHORIZATION_IN_HEADER: 'A bearer token is required',
  FST_JWT_AUTHORIZATION_TOKEN_EXPIRED: 'The token has expired',
  FST_JWT_AUTHORIZATION_TOKEN_UNTRUSTED: 'The token is not trusted',
  FST_JWT_AUTHORIZATION_TOKEN_INVALID: 'The token is invalid',
  FST_JWT_BAD_REQUEST: 'The authorization header is malformed',
  FST_JWT_BAD_COOKIE_REQUEST: 'The authorization header is malformed',
};

/** The first key named twice in a verified token's header or payload ('header.typ', 'role'), or undefined. */
function repeatedKeyIn(authorization: string): string | undefined {
  const [header = '', payload = ''] = authorization.replace(/^Bearer\s+/i, '').split('.');
  for (const [part, prefix] of [
    [header, 'header.'],
    [payload, ''],
  ] as const) {
    const duplicate = duplicateKeyIn(Buffer.from(part, 'base64url').toString('utf8'));
    if (duplicate) return prefix + duplicate.path;
  }
  return undefined;
}

export const authPlugin = fp(async (app: FastifyInstance, opts: { jwt: Config['jwt'] }) => {
  const { jwt } = opts;
  await app.register(fastifyJwt, {
    secret: jwt.kind === 'secret' ? jwt.secret : { public: jwt.publicKey, private: '' },
    verify: {
      algorithms: [...jwt.algorithms],
      // fast-jwt checks iss and aud only when a token has them: configured, they must be there too.
      requiredClaims: ['exp', ...(jwt.issuer ? ['iss'] : []), ...(jwt.audience ? ['aud'] : [])],
      // nbf is checked below, with the skew iat is given (fast-jwt's clockTolerance would extend exp as well).
      ignoreNotBefore: true,
      ...(jwt.issuer ? { allowedIss: jwt.issuer } : {}),
      ...(jwt.audience ? { allowedAud: jwt.audience } : {}),
    },
  });

  app.decorateRequest('actor', null as unknown as Actor);

  // Accepted tokens, by the whole header, with the claims they gave: a client reuses its token for every request, and
  // verifying the signature and claims again each time was a tenth of a consent check's CPU. An entry is used only
  // before the token's exp (by the wall clock) and for at most a minute; a miss verifies in full.
  const accepted = new LRUCache<string, { claims: z.infer<typeof Claims>; expiresAtMs: number }>({
    max: 10_000,
    ttl: 60_000,
  });

  async function authenticate(request: FastifyRequest): Promise<Actor> {
    const header = request.headers.authorization ?? '';
    if (header.length > MAX_TOKEN_LENGTH) throw new Unauthorized('The token is too large');
    const known = accepted.get(header);
    if (known && Date.now() < known.expiresAtMs) return toActor(known.claims, request);
    let payload: unknown;
    try {
      payload = await request.jwtVerify();
    } catch (err) {
      throw new Unauthorized(REASONS[(err as { code?: string }).code ?? ''] ?? 'The token is invalid');
    }
    // A header or payload naming a key twice ({"role":"coordinator","role":"auditor"}): JSON.parse takes the last,
    // where a gateway or the issuer's own log may read the first. Refused, as such a body is (the cache above keeps
    // the check off the path of a token seen before).
    const repeated = repeatedKeyIn(header);
    if (repeated) throw new Unauthorized(`The token's ${repeated} is given twice`);
    const claims = Claims.safeParse(payload);
    if (!claims.success) {
      throw new Unauthorized(
        `The token's claims are not valid: ${claims.error.issues.map((i) => i.path.join('.')).join(', ')}`,
      );
    }
    // Issued in the future: a wrong clock at the issuer, or a token minted to outlive the lifetime check below.
    if (claims.data.iat !== undefined && claims.data.iat * 1000 > Date.now() + IAT_SKEW_MS) {
      throw new Unauthorized('The token is issued in the future (iat after this service’s clock)');
    }
    if (claims.data.nbf !== undefined && claims.data.nbf * 1000 > Date.now() + IAT_SKEW_MS) {
      throw new Unauthorized('The token is not valid yet (nbf after this service’s clock)');
    }
    // A token that would stay valid for days or years is refused however well signed: leaked, it must not last.
    if (claims.data.exp * 1000 - Date.now() > jwt.maxLifetimeMs) {
      throw new Unauthorized(
        `The token is valid for longer than this service accepts (${formatHours(jwt.maxLifetimeMs)} at most)`,
      );
    }
    accepted.set(header, { claims: claims.data, expiresAtMs: claims.data.exp * 1000 });
    return toActor(claims.data, request);
  }

  function toActor({ sub, role, careGiverId, units, name }: z.infer<typeof Claims>, request: FastifyRequest): Actor {
    return { id: sub, role, careGiverId, units, name, requestId: String(request.id) };
  }

  app.decorate('requireRole', (roles: readonly Role[]): preHandlerAsyncHookHandler => {
    const guard = async (request: FastifyRequest) => {
      request.actor = await authenticate(request);
      assertRole(request.actor, roles);
    };
    return Object.assign(guard, { [ROLE_GUARD]: true });
  });

  // Routes declare the guard as a preHandler (it reads naturally there), but it must run before the body and query are
  // validated: otherwise an anonymous caller would get 400s that describe the schema instead of 401.
  app.addHook('onRoute', (route) => {
    const preHandlers = [route.preHandler ?? []].flat();
    const guards = preHandlers.filter((h) => (h as unknown as Record<symbol, unknown>)[ROLE_GUARD]);
    if (guards.length === 0) return;
    route.preHandler = preHandlers.filter((h) => !guards.includes(h));
    route.onRequest = [...[route.onRequest ?? []].flat(), ...(guards as never[])];
  });
});
