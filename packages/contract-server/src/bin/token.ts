#!/usr/bin/env node
/**
 * Mints a development bearer token:
 *
 *   pnpm --filter @tessera/contract-server dev-token --user alice --org acme --roles admin,sales [--hours 12]
 *   pnpm --filter @tessera/contract-server dev-token --service crm-intake --org acme
 *
 * `--service <name>` mints a service principal's token (`sub` = the name, `kind: "service"`): what
 * operations with `auth: "service"` require.
 * Signed with TESSERA_AUTH_SECRET, or the public development secret when it is unset. Refused
 * when TESSERA_ENV=production: production tokens come from a real identity provider.
 *
 * The token alone goes to stdout. Exit codes: 0 minted, 1 refused, 2 a usage error (one line on
 * stderr, e.g. `--hours abc`).
 */
import { NodeServices } from "@effect/platform-node"
import { Console, Duration, Effect, Option, Schema } from "effect"
import { CliError, CliOutput, Command, Flag } from "effect/cli"
import { mintDevToken } from "../Auth.ts"

export const VERSION = "1.0.0"

const Name = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(128))

const token = Command.make(
  "dev-token",
  {
    user: Flag.String("user").pipe(
      Flag.withSchema(Name),
      Flag.withDescription("The user id (the token's sub)"),
      Flag.withDefault("dev-user")
    ),
    service: Flag.String("service").pipe(
      Flag.withSchema(Name),
      Flag.withDescription("Mint a service principal's token instead (sub = this name)"),
      Flag.optional
    ),
    org: Flag.String("org").pipe(
      Flag.withSchema(Name),
      Flag.withDescription("The organization id"),
      Flag.withDefault("dev-org")
    ),
    roles: Flag.String("roles").pipe(
      Flag.withDescription("Comma-separated roles, e.g. admin,sales"),
      Flag.withDefault("")
    ),
    hours: Flag.Int("hours").pipe(
      Flag.withSchema(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 24 * 30 }))),
      Flag.withDescription("Lifetime in hours (1 to 720)"),
      Flag.withDefault(12)
    )
  },
  (flags) =>
    Effect.gen(function* () {
      const service = Option.getOrUndefined(flags.service)
      const minted = yield* mintDevToken(
        {
          userId: service ?? flags.user,
          organizationId: flags.org,
          ...(service === undefined ? {} : { kind: "service" as const }),
          roles: flags.roles
            .split(",")
            .map((role) => role.trim())
            .filter((role) => role !== "")
        },
        { expiresIn: Duration.hours(flags.hours) }
      )
      yield* Console.log(minted)
    })
).pipe(Command.withDescription("Mint a development bearer token (refused when TESSERA_ENV=production)"))

/** Help and version on stdout; a usage error as one line on stderr. */
const presenter: CliOutput.Presenter = {
  present: (event) =>
    event._tag === "InvalidInvocation"
      ? Console.error(`dev-token: ${event.errors.map((error) => error.message).join("; ")} (see dev-token --help)`)
      : CliOutput.defaultPresenter.present(event)
}

/** Runs the command on `argv` and answers the exit code (0 minted, 1 refused, 2 usage). */
export const main = (argv: ReadonlyArray<string>) =>
  Command.runWith(token, { version: VERSION })(argv).pipe(
    Effect.as(0),
    Effect.catch((error) => {
      if (CliError.isCliError(error))
        return Effect.succeed(error._tag === "ShowHelp" && error.errors.length === 0 ? 0 : 2)
      return Effect.as(Console.error(error.message), 1)
    }),
    Effect.provideService(CliOutput.Presenter, presenter),
    Effect.provide(NodeServices.layer)
  )

if (import.meta.main) {
  Effect.runPromise(main(process.argv.slice(2))).then((code) => process.exit(code))
}
