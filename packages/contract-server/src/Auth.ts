/**
 * Bearer authentication: HS256 JWTs (via `jose`) carrying the user id (`sub`), the organization
 * (`org`), the roles (`roles`) and, for a service principal, `kind: "service"` (a process such as
 * an event consumer, never a person: see `Contract.AuthLevel`). The secret comes from `TESSERA_AUTH_SECRET` (redacted). Outside
 * production a well-known development secret is used when none is set, so `pnpm --filter
 * @tessera/contract-kit dev-token` can mint local tokens; with `TESSERA_ENV=production` the secret is
 * required and the development secret is refused at boot.
 */
import { createSecretKey } from "node:crypto"
import type { Principal } from "@tessera/contract-kit/Contract"
import { StorableString } from "@tessera/contract-kit/EdgeChecks"
import { Clock, Config, Context, Data, Duration, Effect, Layer, Option, Redacted, Schema } from "effect"
import { errors as JoseErrors, jwtVerify, SignJWT } from "jose"

export type Environment = "development" | "test" | "production"

/** The development secret: public on purpose, refused in production. */
export const DEV_SECRET: Redacted.Redacted<string> = Redacted.make(
  "tessera-development-secret-do-not-use-in-production"
)

export const ISSUER = "tessera"
const MIN_SECRET_LENGTH = 32

export class AuthConfigError extends Data.TaggedError("AuthConfigError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/** A bearer token that does not verify: bad signature, expired, malformed, wrong claims. */
export class TokenInvalid extends Data.TaggedError("TokenInvalid")<{
  readonly reason: string
}> {}

export class DevTokenRefused extends Data.TaggedError("DevTokenRefused")<{
  readonly message: string
}> {}

/**
 * The claims a token must carry, bounded like the ids they become: `sub` is a user id or service
 * name (1 to 64 characters, like every user id in the contracts), `org` an organization id (1 to
 * 200, like the event envelope's), both storable by PostgreSQL; at most 32 roles. `kind: "service"`
 * marks a service principal. A token outside these bounds is a 401, never a failure further in.
 */
const Claims = Schema.Struct({
  sub: StorableString.check(Schema.isMinLength(1), Schema.isMaxLength(64)),
  org: StorableString.check(Schema.isMinLength(1), Schema.isMaxLength(200)),
  roles: Schema.optional(
    Schema.Array(StorableString.check(Schema.isMinLength(1), Schema.isMaxLength(64))).check(Schema.isMaxLength(32))
  ),
  kind: Schema.optional(Schema.Literals(["user", "service"]))
})

export interface MintOptions {
  /** Token lifetime; default 12 hours. */
  readonly expiresIn?: Duration.Input | undefined
}

export interface AuthShape {
  readonly environment: Environment
  /** Whether the secret in use is the public development secret. */
  readonly usesDevSecret: boolean
  readonly verify: (token: string) => Effect.Effect<Principal, TokenInvalid>
  readonly mint: (principal: Principal, options?: MintOptions) => Effect.Effect<string>
}

/** Imported once: jose verifies with a `KeyObject` without re-importing the raw secret per call. */
const secretKey = (secret: Redacted.Redacted<string>) => createSecretKey(Buffer.from(Redacted.value(secret), "utf8"))

/** How many verified tokens `verify` remembers (oldest forgotten first). */
export const VERIFIED_CACHE_SIZE = 10_000

interface Verified {
  readonly principal: Principal
  /** The token's `exp`, in milliseconds. */
  readonly expiresAt: number
}

/** An `Auth` over an explicit secret (tests, tools). */
export const make = (secret: Redacted.Redacted<string>, environment: Environment = "development"): AuthShape => {
  const key = secretKey(secret)
  // A token that verified once verifies again with the same key until it expires: clients send
  // the same token on every call, and the HMAC check and claim decoding are a large part of a
  // small call's cost. Only verified tokens are remembered, keyed by the whole token (signature
  // included), and each use still checks the expiry against the clock.
  const verified = new Map<string, Verified>()
  const remember = (token: string, entry: Verified) => {
    if (verified.size >= VERIFIED_CACHE_SIZE) {
      const oldest = verified.keys().next()
      if (oldest.done !== true) verified.delete(oldest.value)
    }
    verified.set(token, entry)
  }
  return {
    environment,
    usesDevSecret: Redacted.value(secret) === Redacted.value(DEV_SECRET),
    verify: (token) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const known = verified.get(token)
        if (known !== undefined) {
          if (now < known.expiresAt) return known.principal
          verified.delete(token)
          return yield* new TokenInvalid({ reason: "ERR_JWT_EXPIRED" })
        }
        const result = yield* Effect.tryPromise({
          try: () =>
            jwtVerify(token, key, {
              algorithms: ["HS256"],
              issuer: ISSUER,
              currentDate: new Date(now),
              requiredClaims: ["sub", "exp"]
            }),
          catch: (cause) =>
            new TokenInvalid({
              reason: cause instanceof JoseErrors.JOSEError ? cause.code : "ERR_JWT_INVALID"
            })
        })
        const claims = yield* Schema.decodeUnknownEffect(Claims)(result.payload).pipe(
          Effect.mapError(() => new TokenInvalid({ reason: "ERR_JWT_CLAIMS_INVALID" }))
        )
        const principal: Principal = {
          userId: claims.sub,
          organizationId: claims.org,
          roles: claims.roles ?? [],
          ...(claims.kind === "service" ? { kind: "service" as const } : {})
        }
        if (typeof result.payload.exp === "number") remember(token, { principal, expiresAt: result.payload.exp * 1000 })
        return principal
      }),
    mint: (principal, options = {}) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const seconds = Math.floor(now / 1000)
        const ttl = Duration.toSeconds(Duration.fromInputUnsafe(options.expiresIn ?? "12 hours"))
        return yield* Effect.promise(() =>
          new SignJWT({
            org: principal.organizationId,
            roles: [...principal.roles],
            ...(principal.kind === "service" ? { kind: "service" } : {})
          })
            .setProtectedHeader({ alg: "HS256", typ: "JWT" })
            .setSubject(principal.userId)
            .setIssuer(ISSUER)
            .setIssuedAt(seconds)
            .setExpirationTime(seconds + Math.floor(ttl))
            .sign(key)
        )
      })
  }
}

const EnvironmentConfig = Config.Literals(["development", "test", "production"], "TESSERA_ENV").pipe(
  Config.withDefault("development" as const)
)

/** Reads `TESSERA_ENV` and `TESSERA_AUTH_SECRET`, refusing the development secret in production. */
export const fromConfig = Effect.gen(function* () {
  const environment = yield* EnvironmentConfig
  const configured = yield* Config.option(Config.Redacted("TESSERA_AUTH_SECRET"))
  const secret = Option.filter(configured, (value) => Redacted.value(value).trim() !== "")
  if (environment === "production") {
    if (Option.isNone(secret)) {
      return yield* new AuthConfigError({ message: "TESSERA_AUTH_SECRET is required when TESSERA_ENV=production" })
    }
    if (Redacted.value(secret.value) === Redacted.value(DEV_SECRET)) {
      return yield* new AuthConfigError({
        message: "TESSERA_AUTH_SECRET is the public development secret, refused when TESSERA_ENV=production"
      })
    }
    if (Redacted.value(secret.value).length < MIN_SECRET_LENGTH) {
      return yield* new AuthConfigError({
        message: `TESSERA_AUTH_SECRET must be at least ${MIN_SECRET_LENGTH} characters in production`
      })
    }
  }
  return make(
    Option.getOrElse(secret, () => DEV_SECRET),
    environment
  )
}).pipe(
  Effect.catchTag("ConfigError", (cause) =>
    Effect.fail(new AuthConfigError({ message: `Invalid auth configuration: ${cause.message}`, cause }))
  )
)

/** Mints a development token; refused under production configuration. */
export const mintDevToken = (principal: Principal, options?: MintOptions) =>
  Effect.gen(function* () {
    const auth = yield* fromConfig
    if (auth.environment === "production") {
      return yield* new DevTokenRefused({ message: "Development tokens cannot be minted when TESSERA_ENV=production" })
    }
    return yield* auth.mint(principal, options)
  })

export class Auth extends Context.Service<Auth, AuthShape>()("@tessera/contract-server/Auth") {
  /** From configuration (see the module doc). Fails the boot on a refused configuration. */
  static readonly layer = Layer.effect(Auth, fromConfig)

  /** Over an explicit secret: for tests. */
  static readonly layerSecret = (secret: Redacted.Redacted<string>, environment: Environment = "test") =>
    Layer.succeed(Auth, make(secret, environment))
}
