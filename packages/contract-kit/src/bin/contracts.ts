#!/usr/bin/env node
/**
 * Contract docs and the breaking-change gate, for any catalog module:
 *
 *   node src/bin/contracts.ts docs  --catalog <module.ts> --out <folder> [--export catalog]
 *   node src/bin/contracts.ts check --catalog <module.ts> --out <folder> [--export catalog] [--base <snapshot.json>]
 *   node src/bin/contracts.ts --help | --version
 *
 * The module's export (default `catalog`) is an array of contracts (or implementations). Exit codes:
 * 0 done (docs written, or current), 1 stale or breaking (the lines say what), 2 a usage error (one
 * line on stderr).
 *
 * Built on `effect/cli` with `effect` alone (the kit depends on nothing else): the few platform
 * services a command line needs are made here over `process`.
 */
import * as Path from "node:path"
import { pathToFileURL } from "node:url"
import { Console, Data, Effect, Path as EffectPath, FileSystem, Layer, Sink, Stdio, Stream, Terminal } from "effect"
import { CliError, CliOutput, Command, Flag } from "effect/cli"
import { ChildProcessSpawner } from "effect/process"
import { type AnyContract, isContract } from "../Contract.ts"
import * as ContractGate from "../ContractGate.ts"

export const VERSION = "1.0.0"

class CatalogNotLoaded extends Data.TaggedError("CatalogNotLoaded")<{ readonly message: string }> {}

/** The gate reported stale or breaking changes: its lines are already on stderr. */
class GateFailed extends Data.TaggedError("GateFailed")<{ readonly message: string }> {}

const loadContracts = (catalog: string, name: string) =>
  Effect.gen(function* () {
    const module: Record<string, unknown> = yield* Effect.tryPromise({
      try: () => import(pathToFileURL(Path.resolve(catalog)).href),
      catch: (cause) => new CatalogNotLoaded({ message: `cannot load ${catalog}: ${String(cause)}` })
    })
    const exported = module[name]
    const entries: ReadonlyArray<unknown> = Array.isArray(exported) ? exported : []
    const contracts: Array<AnyContract> = entries.flatMap((entry) =>
      isContract(entry)
        ? [entry]
        : typeof entry === "object" && entry !== null && "contract" in entry && isContract(entry.contract)
          ? [entry.contract]
          : []
    )
    if (contracts.length === 0) {
      return yield* new CatalogNotLoaded({ message: `${catalog} exports no contracts as "${name}"` })
    }
    return contracts
  })

const catalog = Flag.String("catalog").pipe(Flag.withDescription("The module exporting the catalog (a .ts file)"))
const out = Flag.String("out").pipe(Flag.withDescription("The docs folder (pages and snapshot.json)"))
const exportName = Flag.String("export").pipe(
  Flag.withDescription("The module's export holding the catalog"),
  Flag.withDefault("catalog")
)

const report = (result: ContractGate.Report) =>
  result.ok
    ? Console.log(result.lines.join("\n"))
    : Effect.andThen(Console.error(result.lines.join("\n")), Effect.fail(new GateFailed({ message: "" })))

const docs = Command.make("docs", { catalog, out, export: exportName }, (flags) =>
  Effect.flatMap(loadContracts(flags.catalog, flags.export), (contracts) =>
    report(ContractGate.generate(contracts, Path.resolve(flags.out)))
  )
).pipe(
  Command.withDescription("Write each contract's Markdown page and the schema snapshot (refuses breaking changes)")
)

const check = Command.make(
  "check",
  {
    catalog,
    out,
    export: exportName,
    base: Flag.String("base").pipe(
      Flag.withDescription("Compare against this snapshot.json instead of the committed one"),
      Flag.optional
    )
  },
  (flags) =>
    Effect.flatMap(loadContracts(flags.catalog, flags.export), (contracts) =>
      report(
        ContractGate.check(contracts, Path.resolve(flags.out), {
          baseSnapshot: flags.base._tag === "Some" ? flags.base.value : undefined
        })
      )
    )
).pipe(Command.withDescription("Fail when the docs are stale or a stable contract changed incompatibly"))

const command = Command.make("contracts").pipe(
  Command.withDescription("Contract docs and the breaking-change gate for a catalog module"),
  Command.withSubcommands([docs, check])
)

const write = (stream: NodeJS.WriteStream) => {
  const writeChunk = (chunk: string | Uint8Array) => Effect.sync(() => void stream.write(chunk))
  return () => Sink.forEach(writeChunk)
}

/** What effect/cli needs from the platform, over `process` (no files, no child processes). */
const environment = Layer.mergeAll(
  FileSystem.layerNoop({}),
  EffectPath.layer,
  Layer.succeed(
    Stdio.Stdio,
    Stdio.make({
      args: Effect.sync(() => process.argv.slice(2)),
      stdout: write(process.stdout),
      stderr: write(process.stderr),
      stdin: Stream.empty
    })
  ),
  Layer.succeed(
    Terminal.Terminal,
    Terminal.make({
      columns: Effect.sync(() => process.stdout.columns ?? 100),
      rows: Effect.sync(() => process.stdout.rows ?? 40),
      size: Effect.die("contracts follows no terminal resizes"),
      readInput: Effect.die("contracts reads no terminal input"),
      readLine: Effect.die("contracts reads no terminal input"),
      display: (text) => Effect.sync(() => void process.stdout.write(text))
    })
  ),
  Layer.succeed(
    ChildProcessSpawner.ChildProcessSpawner,
    ChildProcessSpawner.make(() => Effect.die("contracts spawns no processes"))
  )
)

const presenter: CliOutput.Presenter = {
  present: (event) =>
    event._tag === "InvalidInvocation"
      ? Console.error(
          `${event.commandPath.join(" ")}: ${event.errors.map((error) => error.message).join("; ")} (see ${event.commandPath.join(" ")} --help)`
        )
      : CliOutput.defaultPresenter.present(event)
}

/** Runs the command on `argv` and answers the exit code (0 done, 1 stale or breaking, 2 usage). */
export const main = (argv: ReadonlyArray<string>) =>
  Command.runWith(command, { version: VERSION })(argv).pipe(
    Effect.as(0),
    Effect.catch((error) => {
      if (CliError.isCliError(error))
        return Effect.succeed(error._tag === "ShowHelp" && error.errors.length === 0 ? 0 : 2)
      if (error._tag === "GateFailed") return Effect.succeed(1)
      return Effect.as(Console.error(`contracts: ${error.message}`), 2)
    }),
    Effect.provideService(CliOutput.Presenter, presenter),
    Effect.provide(environment)
  )

if (import.meta.main) {
  Effect.runPromise(main(process.argv.slice(2))).then((code) => process.exit(code))
}
