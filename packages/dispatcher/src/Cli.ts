#!/usr/bin/env node
/**
 * `tessera-dispatch`: operate the dispatcher from a shell, against DATABASE_URL (or the embedded
 * development database when it is unset).
 *
 *   tessera-dispatch lag [--consumer NAME]
 *   tessera-dispatch dead-letters [--consumer NAME] [--limit N] [--json]
 *   tessera-dispatch replay --consumer NAME [--position P]...
 *
 * In the workspace: `pnpm --filter @tessera/dispatcher dispatch -- dead-letters`.
 */
import { parseArgs } from "node:util"
import * as Database from "@tessera/database/Database"
import { Console, Data, Effect, Layer } from "effect"
import { DispatchAdmin } from "./DispatchAdmin.ts"

class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

const USAGE = `usage:
  tessera-dispatch lag [--consumer NAME] [--json]
  tessera-dispatch dead-letters [--consumer NAME] [--limit N] [--json]
  tessera-dispatch replay --consumer NAME [--position P]...`

const parse = (argv: ReadonlyArray<string>) =>
  Effect.try({
    try: () =>
      parseArgs({
        args: [...argv],
        allowPositionals: true,
        options: {
          consumer: { type: "string" },
          limit: { type: "string" },
          position: { type: "string", multiple: true },
          json: { type: "boolean", default: false }
        }
      }),
    catch: (cause) => new UsageError({ message: `${String(cause)}\n${USAGE}` })
  })

const toBigInt = (value: string) =>
  /^\d+$/.test(value)
    ? Effect.succeed(BigInt(value))
    : Effect.fail(new UsageError({ message: `--position takes an event position, got ${value}` }))

const jsonReplacer = (_key: string, value: unknown) => (typeof value === "bigint" ? value.toString() : value)

export const main = (argv: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const { values, positionals } = yield* parse(argv)
    const admin = yield* DispatchAdmin
    const command = positionals[0]
    const print = (value: unknown) => Console.log(JSON.stringify(value, jsonReplacer, 2))
    switch (command) {
      case "lag": {
        const lag = yield* admin.lag(values.consumer)
        if (values.json) return yield* print(lag)
        for (const l of lag) {
          yield* Console.log(
            `${l.consumer}: ${l.pending} pending (${l.retrying} retrying), oldest ${(l.oldestAgeMillis / 1000).toFixed(1)} s, ${l.deadLetters} dead letters`
          )
        }
        return
      }
      case "dead-letters": {
        const limit = values.limit === undefined ? 100 : Number(values.limit)
        const letters = yield* admin.deadLetters({ consumer: values.consumer, limit })
        if (values.json) return yield* print(letters)
        if (letters.length === 0) return yield* Console.log("no dead letters")
        for (const l of letters) {
          yield* Console.log(
            `${l.consumer} #${l.position} ${l.eventType}@${l.eventVersion} ${l.eventId} subject ${l.subjectKey}: ${l.reason} after ${l.attempts} attempt(s) at ${l.deadAt.toISOString()}\n  ${l.error.split("\n")[0]}`
          )
        }
        return
      }
      case "replay": {
        if (values.consumer === undefined)
          return yield* new UsageError({ message: `replay needs --consumer\n${USAGE}` })
        const positions = values.position === undefined ? undefined : yield* Effect.forEach(values.position, toBigInt)
        const replayed = yield* admin.replay({ consumer: values.consumer, positions })
        return yield* Console.log(`replayed ${replayed} dead letter(s) of ${values.consumer}`)
      }
      default:
        return yield* new UsageError({ message: USAGE })
    }
  }).pipe(Effect.provide(DispatchAdmin.layer.pipe(Layer.provide(Database.layer))))

if (import.meta.main) {
  Effect.runPromiseExit(main(process.argv.slice(2))).then((exit) => {
    if (exit._tag === "Success") process.exit(0)
    const failure = exit.cause.reasons.find((reason) => reason._tag === "Fail")
    console.error(failure !== undefined && failure._tag === "Fail" ? String(failure.error.message) : exit.cause)
    process.exit(failure !== undefined && failure._tag === "Fail" && failure.error._tag === "UsageError" ? 2 : 1)
  })
}
