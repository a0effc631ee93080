#!/usr/bin/env node
import { NodeServices } from "@effect/platform-node"
/**
 * `tessera-dispatch`: operate the dispatcher from a shell, against DATABASE_URL (or the embedded
 * development database when it is unset), through `DispatchAdmin`, the operations the stack's admin
 * contracts (`dispatch.*`, what Studio calls) use.
 *
 *   tessera-dispatch lag [--consumer NAME] [--json]
 *   tessera-dispatch dead-letters [--consumer NAME] [--limit N] [--include-discarded] [--json]
 *   tessera-dispatch replay --consumer NAME [--position P]... [--json]
 *   tessera-dispatch discard --consumer NAME --position P... --reason TEXT [--json]
 *   tessera-dispatch blocked [--consumer NAME] [--json]
 *   tessera-dispatch --help | --version
 *
 * From the repository root: `pnpm dispatch lag` (`pnpm -s dispatch … --json` for clean JSON).
 * Output goes to stdout, logs to stderr. Exit codes: 0 done, 1 failed (an unknown consumer, the
 * database), 2 a usage error (an unknown flag, `--limit abc`). `--help` opens no database.
 */
import * as Database from "@tessera/database/Database"
import { Console, Data, Effect, Layer, Logger, Option, Schema } from "effect"
import { CliError, CliOutput, Command, Flag } from "effect/cli"
import { DispatchAdmin } from "./DispatchAdmin.ts"

export const VERSION = "1.0.0"

/** A consumer name that has no subscriptions: exit 1 with its message. */
export class UnknownConsumer extends Data.TaggedError("UnknownConsumer")<{ readonly consumer: string }> {
  override get message(): string {
    return `no consumer named ${this.consumer} (see tessera-dispatch lag for the consumers there are)`
  }
}

const Position = Schema.String.check(Schema.isPattern(/^[1-9]\d{0,18}$/, { message: "an event position (digits)" }))

const json = Flag.Boolean("json").pipe(
  Flag.withDescription("Print JSON (only JSON) on stdout"),
  Flag.withDefault(false)
)
const consumer = Flag.String("consumer").pipe(Flag.withAlias("c"), Flag.withDescription("The consumer's name"))
const positions = Flag.String("position").pipe(
  Flag.withAlias("p"),
  Flag.withSchema(Position),
  Flag.withDescription("An event position (repeat for several)")
)

/** The admin operations on the configured database: built only when a command runs, never for --help. */
const admin = DispatchAdmin.layer.pipe(Layer.provide(Database.layer))

const withAdmin = <A, E>(f: (admin: DispatchAdmin["Service"]) => Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const service = yield* DispatchAdmin
    return yield* f(service)
  }).pipe(Effect.provide(admin))

const jsonReplacer = (_key: string, value: unknown) => (typeof value === "bigint" ? value.toString() : value)
const printJson = (value: unknown) => Console.log(JSON.stringify(value, jsonReplacer, 2))

const requireConsumer = (service: DispatchAdmin["Service"], name: string) =>
  Effect.flatMap(service.lag(name), (lag) =>
    lag.length === 0 ? Effect.fail(new UnknownConsumer({ consumer: name })) : Effect.succeed(lag)
  )

const lag = Command.make("lag", { consumer: Flag.optional(consumer), json }, (flags) =>
  withAdmin((service) =>
    Effect.gen(function* () {
      const name = Option.getOrUndefined(flags.consumer)
      const rows = name === undefined ? yield* service.lag() : yield* requireConsumer(service, name)
      if (flags.json) return yield* printJson(rows)
      if (rows.length === 0) return yield* Console.log("no consumers")
      for (const l of rows) {
        yield* Console.log(
          `${l.consumer}: ${l.pending} pending (${l.retrying} retrying), ${l.inFlight} in flight, oldest ${(l.oldestAgeMillis / 1000).toFixed(1)} s, ${l.deadLetters} dead letters, ${l.blockedSubjects} blocked subjects`
        )
      }
    })
  )
).pipe(Command.withDescription("Each consumer's lag: pending, retrying, in flight, oldest pending age, dead letters"))

const deadLetters = Command.make(
  "dead-letters",
  {
    consumer: Flag.optional(consumer),
    limit: Flag.Int("limit").pipe(
      Flag.withDescription("At most this many (1 to 10000)"),
      Flag.withSchema(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 10_000 }))),
      Flag.withDefault(100)
    ),
    includeDiscarded: Flag.Boolean("include-discarded").pipe(
      Flag.withDescription("Also list discarded dead letters (kept for audit)"),
      Flag.withDefault(false)
    ),
    json
  },
  (flags) =>
    withAdmin((service) =>
      Effect.gen(function* () {
        const name = Option.getOrUndefined(flags.consumer)
        if (name !== undefined) yield* requireConsumer(service, name)
        const letters = yield* service.deadLetters({
          consumer: name,
          limit: flags.limit,
          includeDiscarded: flags.includeDiscarded
        })
        if (flags.json) return yield* printJson(letters)
        if (letters.length === 0) return yield* Console.log("no dead letters")
        for (const l of letters) {
          yield* Console.log(
            `${l.consumer} #${l.position} ${l.eventType}@${l.eventVersion} ${l.eventId} subject ${l.subjectKey}: ${l.reason} after ${l.attempts} attempt(s) at ${l.deadAt.toISOString()}${l.status === "discarded" ? ` [discarded: ${l.discardReason ?? ""}]` : ""}\n  ${l.error.split("\n")[0]}`
          )
        }
      })
    )
).pipe(Command.withDescription("Dead letters, oldest first, with their reason and last error"))

const replay = Command.make("replay", { consumer, positions: Flag.atLeast(positions, 0), json }, (flags) =>
  withAdmin((service) =>
    Effect.gen(function* () {
      yield* requireConsumer(service, flags.consumer)
      const replayed = yield* service.replay({
        consumer: flags.consumer,
        positions: flags.positions.length === 0 ? undefined : flags.positions.map((p) => BigInt(p))
      })
      if (flags.json) return yield* printJson({ consumer: flags.consumer, replayed })
      return yield* Console.log(`replayed ${replayed} dead letter(s) of ${flags.consumer}`)
    })
  )
).pipe(
  Command.withDescription("Hand dead letters back to their consumer: the given positions, or all of its dead letters")
)

const discard = Command.make(
  "discard",
  {
    consumer,
    positions: Flag.atLeast(positions, 1),
    reason: Flag.String("reason").pipe(
      Flag.withSchema(Schema.String.check(Schema.isMinLength(3), Schema.isMaxLength(500))),
      Flag.withDescription("Why (kept with the dead letter for audit)")
    ),
    json
  },
  (flags) =>
    withAdmin((service) =>
      Effect.gen(function* () {
        yield* requireConsumer(service, flags.consumer)
        const discarded = yield* service.discard({
          consumer: flags.consumer,
          positions: flags.positions.map((p) => BigInt(p)),
          reason: flags.reason
        })
        if (flags.json) return yield* printJson({ consumer: flags.consumer, discarded })
        return yield* Console.log(`discarded ${discarded} dead letter(s) of ${flags.consumer}`)
      })
    )
).pipe(Command.withDescription("Give dead letters up for good, with a reason kept for audit"))

const blocked = Command.make("blocked", { consumer: Flag.optional(consumer), json }, (flags) =>
  withAdmin((service) =>
    Effect.gen(function* () {
      const name = Option.getOrUndefined(flags.consumer)
      if (name !== undefined) yield* requireConsumer(service, name)
      const subjects = yield* service.blockedSubjects(name)
      if (flags.json) return yield* printJson(subjects)
      if (subjects.length === 0) return yield* Console.log("no blocked subjects")
      for (const s of subjects) {
        yield* Console.log(`${s.consumer} ${s.subjectKey}: blocked by #${s.position}, ${s.waiting} waiting`)
      }
    })
  )
).pipe(Command.withDescription("Subjects a dead letter blocks (strict consumers)"))

export const command = Command.make("tessera-dispatch").pipe(
  Command.withDescription("Operate Tessera's event dispatcher (DATABASE_URL, or the embedded development database)"),
  Command.withSubcommands([lag, deadLetters, replay, discard, blocked])
)

/**
 * Help and the version on stdout; a usage error as one line on stderr, pointing at `--help`
 * (effect/cli's default prints the whole help page before the error).
 */
const presenter: CliOutput.Presenter = {
  present: (event) => {
    switch (event._tag) {
      case "InvalidInvocation":
        return Console.error(
          `${event.commandPath.join(" ")}: ${event.errors.map((error) => error.message).join("; ")} (see ${event.commandPath.join(" ")} --help)`
        )
      default:
        return CliOutput.defaultPresenter.present(event)
    }
  }
}

/** Runs the CLI on `argv` and answers the exit code (0 done, 1 failed, 2 usage). */
export const main = (argv: ReadonlyArray<string>) =>
  Command.runWith(command, { version: VERSION })(argv).pipe(
    Effect.as(0),
    Effect.catch((error) => {
      if (CliError.isCliError(error)) {
        return Effect.succeed(error._tag === "ShowHelp" && error.errors.length === 0 ? 0 : 2)
      }
      return Effect.as(Console.error(`tessera-dispatch: ${error.message}`), 1)
    }),
    Effect.catchDefect((defect) => Effect.as(Console.error("tessera-dispatch: unexpected failure", defect), 1)),
    Effect.provideService(CliOutput.Presenter, presenter),
    Effect.provide(NodeServices.layer),
    // Logs (the embedded database's, the dispatcher's) go to stderr, so stdout stays parseable.
    Effect.provideService(Logger.LogToStderr, true)
  )

if (import.meta.main) {
  Effect.runPromise(main(process.argv.slice(2))).then((code) => process.exit(code))
}
