/**
 * Contract docs and the breaking-change gate, for any catalog module:
 *
 *   node src/bin/contracts.ts docs  --catalog <module.ts> --out <folder> [--export catalog]
 *   node src/bin/contracts.ts check --catalog <module.ts> --out <folder> [--export catalog] [--base <snapshot.json>]
 *
 * The module's export (default `catalog`) is an array of contracts (or implementations).
 */
import * as Path from "node:path"
import { pathToFileURL } from "node:url"
import { parseArgs } from "node:util"
import { type AnyContract, isContract } from "../Contract.ts"
import * as ContractGate from "../ContractGate.ts"

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    catalog: { type: "string" },
    out: { type: "string" },
    export: { type: "string", default: "catalog" },
    base: { type: "string" }
  }
})

const [command] = positionals
if ((command !== "docs" && command !== "check") || values.catalog === undefined || values.out === undefined) {
  process.stderr.write(
    "usage: contracts <docs|check> --catalog <module> --out <folder> [--export name] [--base file]\n"
  )
  process.exit(2)
}

const module: Record<string, unknown> = await import(pathToFileURL(Path.resolve(values.catalog)).href)
const exported = module[values.export]
const entries: ReadonlyArray<unknown> = Array.isArray(exported) ? exported : []
const contracts: Array<AnyContract> = entries.flatMap((entry) =>
  isContract(entry)
    ? [entry]
    : typeof entry === "object" && entry !== null && "contract" in entry && isContract(entry.contract)
      ? [entry.contract]
      : []
)
if (contracts.length === 0) {
  process.stderr.write(`${values.catalog} exports no contracts as "${values.export}"\n`)
  process.exit(2)
}

const report =
  command === "docs"
    ? ContractGate.generate(contracts, Path.resolve(values.out))
    : ContractGate.check(contracts, Path.resolve(values.out), { baseSnapshot: values.base })
;(report.ok ? process.stdout : process.stderr).write(`${report.lines.join("\n")}\n`)
process.exitCode = report.ok ? 0 : 1
