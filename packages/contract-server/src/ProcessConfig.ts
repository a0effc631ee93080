/**
 * The settings of a Tessera process, read and checked before anything starts: a value that does
 * not parse stops the process with a message naming the variable, what it holds and the form it
 * expects (`invalid configuration: PORT is "abc"; expected a port number from 0 to 65535`), never
 * a raw `SchemaError`. Secrets are named but never echoed.
 *
 * Defaults are the safe ones for a laptop; the container image sets `TESSERA_ENV=production` and
 * JSON logs (see the Dockerfile).
 */
import { Config, Data, Duration, Effect, Option } from "effect"

/** A variable holds something that does not parse: its name, its value (unless secret) and the form wanted. */
export class InvalidConfiguration extends Data.TaggedError("InvalidConfiguration")<{
  readonly variable: string
  /** `undefined` for secrets (never echoed) and for values that could not be read. */
  readonly value: string | undefined
  readonly expected: string
}> {
  override get message(): string {
    const holds = this.value === undefined ? "is not valid" : `is ${JSON.stringify(this.value)}`
    return `invalid configuration: ${this.variable} ${holds}; expected ${this.expected}`
  }
}

/** A `Config` as an `Effect` (it is yieldable). */
const read = <A>(config: Config.Config<A>): Effect.Effect<A, Config.ConfigError> =>
  Effect.gen(function* () {
    return yield* config
  })

const rawValue = (variable: string) =>
  read(Config.option(Config.String(variable))).pipe(
    Effect.map(Option.getOrUndefined),
    Effect.orElseSucceed(() => undefined)
  )

/** Reads `config` (named `variable`), turning a parse failure into an `InvalidConfiguration`. */
export const setting = <A>(
  variable: string,
  config: Config.Config<A>,
  expected: string,
  options: { readonly secret?: boolean | undefined } = {}
): Effect.Effect<A, InvalidConfiguration> =>
  Effect.catchTag(read(config), "ConfigError", () =>
    Effect.flatMap(options.secret === true ? Effect.succeed(undefined) : rawValue(variable), (value) =>
      Effect.fail(new InvalidConfiguration({ variable, value, expected }))
    )
  )

/**
 * A `ConfigError` raised by a module that reads its own settings (the dispatcher's, the
 * database's), as an `InvalidConfiguration` naming the variable its message points at.
 */
export const fromConfigError = (error: Config.ConfigError): Effect.Effect<InvalidConfiguration> => {
  const text = String(error.cause)
  const variable = /at \["([A-Z0-9_]+)"\]/.exec(text)?.[1]
  const expected = (/^(?:SchemaError\()?(?:Expected )?([^\n]*)/.exec(text)?.[1] ?? text).replace(/\)$/, "")
  if (variable === undefined)
    return Effect.succeed(new InvalidConfiguration({ variable: "a setting", value: undefined, expected: text }))
  const secret = /SECRET|PASSWORD|TOKEN|DATABASE_URL|HEADERS/.test(variable)
  return Effect.map(
    secret ? Effect.succeed(undefined) : rawValue(variable),
    (value) =>
      new InvalidConfiguration({ variable, value, expected: expected.charAt(0).toLowerCase() + expected.slice(1) })
  )
}

/** A TCP port from `Config.Int` (so 0, "any free port", is accepted), checked to be 0–65535. */
const portSetting = (variable: string, fallback: number, expected: string) =>
  Effect.flatMap(setting(variable, Config.Int(variable).pipe(Config.withDefault(fallback)), expected), (port) =>
    port >= 0 && port <= 65535
      ? Effect.succeed(port)
      : Effect.flatMap(rawValue(variable), (value) =>
          Effect.fail(new InvalidConfiguration({ variable, value, expected }))
        )
  )

export type Environment = "development" | "test" | "production"
export type LogFormat = "pretty" | "json"
export type LogLevelName = "trace" | "debug" | "info" | "warn" | "error" | "none"

export interface LogSettings {
  readonly level: LogLevelName
  readonly format: LogFormat
}

export interface Settings {
  readonly port: number
  readonly host: string
  readonly environment: Environment
  /** How long shutdown waits for in-flight requests before cutting them short. */
  readonly shutdownGrace: Duration.Duration
  /** `/health/ready` answers 503 when a consumer's oldest undelivered event is older than this. */
  readonly readyMaxLag: Duration.Duration
  /** Serve `/metrics` (Prometheus text). */
  readonly metrics: boolean
  readonly log: LogSettings
}

const DURATION = 'a duration such as "20 seconds" or "500 millis"'

/** `TESSERA_LOG_LEVEL` and `TESSERA_LOG_FORMAT`: read first, so even a bad setting is reported in the right format. */
export const logSettings: Effect.Effect<LogSettings, InvalidConfiguration> = Effect.all({
  level: setting(
    "TESSERA_LOG_LEVEL",
    Config.Literals(["trace", "debug", "info", "warn", "error", "none"], "TESSERA_LOG_LEVEL").pipe(
      Config.withDefault("info" as const)
    ),
    "one of trace, debug, info, warn, error, none"
  ),
  format: setting(
    "TESSERA_LOG_FORMAT",
    Config.Literals(["pretty", "json"], "TESSERA_LOG_FORMAT").pipe(Config.withDefault("pretty" as const)),
    "pretty or json"
  )
})

/**
 * Every setting the process itself reads, checked at once; also checks the ones read later by
 * the database layer and the HTTP edge, so a typo fails before PostgreSQL starts.
 */
export const load = (defaultPort: number): Effect.Effect<Settings, InvalidConfiguration> =>
  Effect.gen(function* () {
    const port = yield* portSetting("PORT", defaultPort, "a port number from 0 to 65535")
    const host = yield* setting(
      "HOST",
      Config.String("HOST").pipe(Config.withDefault("127.0.0.1")),
      "a host name or an IP address (0.0.0.0 for every interface)"
    )
    const environment = yield* setting(
      "TESSERA_ENV",
      Config.Literals(["development", "test", "production"], "TESSERA_ENV").pipe(
        Config.withDefault("development" as const)
      ),
      "development, test or production"
    )
    const shutdownGrace = yield* setting(
      "TESSERA_SHUTDOWN_GRACE",
      Config.Duration("TESSERA_SHUTDOWN_GRACE").pipe(Config.withDefault(Duration.seconds(20))),
      DURATION
    )
    const readyMaxLag = yield* setting(
      "TESSERA_READY_MAX_LAG",
      Config.Duration("TESSERA_READY_MAX_LAG").pipe(Config.withDefault(Duration.minutes(5))),
      DURATION
    )
    const metrics = yield* setting(
      "TESSERA_METRICS",
      Config.Boolean("TESSERA_METRICS").pipe(Config.withDefault(true)),
      "true or false"
    )
    yield* setting(
      "TESSERA_HTTP_LOG",
      Config.Boolean("TESSERA_HTTP_LOG").pipe(Config.withDefault(false)),
      "true or false"
    )
    yield* setting(
      "TESSERA_HTTP_POOL_SIZE",
      Config.Int("TESSERA_HTTP_POOL_SIZE").pipe(Config.withDefault(10)),
      "a whole number of connections, 1 or more"
    )
    yield* portSetting("TESSERA_POSTGRES_PORT", 54329, "a port number from 0 to 65535 (0: any free port)")
    const databaseUrl = yield* read(Config.option(Config.String("DATABASE_URL"))).pipe(
      Effect.orElseSucceed(() => Option.none<string>())
    )
    if (Option.isSome(databaseUrl) && databaseUrl.value.trim() !== "" && !URL.canParse(databaseUrl.value)) {
      // Never echoed: it may hold a password.
      return yield* new InvalidConfiguration({
        variable: "DATABASE_URL",
        value: undefined,
        expected: "a URL such as postgres://user:password@host:5432/database"
      })
    }
    const log = yield* logSettings
    return { port, host, environment, shutdownGrace, readyMaxLag, metrics, log }
  })
