/**
 * The files generated from the contracts and the registry, committed and checked current in CI:
 * each domain's Markdown pages and breaking-change snapshot (`docs/<domain>/`), the registry's
 * JSON export, the snapshot of every published event version's schema, and the flows across
 * domains (`docs/flows.md`, from `src/flows.ts`, whose steps are checked against the catalogs).
 *
 *   node scripts/Generated.ts write    regenerate (refuses breaking changes)
 *   node scripts/Generated.ts check    fail, saying what changed, when anything is stale
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import type { AnyContract } from "@tessera/contract-kit/Contract"
import * as ContractGate from "@tessera/contract-kit/ContractGate"
import * as Registry from "@tessera/envelope/Registry"
import * as RegistryExport from "@tessera/envelope/RegistryExport"
import { Result } from "effect"
import { catalog as crm } from "../src/crm/Catalog.ts"
import { catalog as dispatch } from "../src/dispatch/Catalog.ts"
import * as Flow from "../src/Flow.ts"
import { flows } from "../src/flows.ts"
import { catalog as integration } from "../src/integration-hub/Catalog.ts"
import { catalog as learning } from "../src/learning-journey/Catalog.ts"
import { registry } from "../src/registry.ts"
import { catalog as service } from "../src/service-business/Catalog.ts"

const root = Path.resolve(import.meta.dirname, "..")

export const catalogs: ReadonlyArray<readonly [folder: string, contracts: ReadonlyArray<AnyContract>]> = [
  ["docs/crm", crm],
  ["docs/dispatch", dispatch],
  ["docs/integration-hub", integration],
  ["docs/learning-journey", learning],
  ["docs/service-business", service]
]

export const REGISTRY_FILE = "registry.generated.json"
export const EVENT_SCHEMAS_FILE = "event-schemas.generated.json"
export const FLOWS_FILE = "docs/flows.md"

/** docs/flows.md: every flow, its contract steps linked to their pages. */
export const flowsPage = () =>
  Flow.render(flows, (key) => {
    const found = catalogs.find(([, contracts]) => contracts.some((contract) => contract.key === key))
    return found === undefined ? undefined : `${found[0].replace(/^docs\//, "")}/${key}.md`
  })

const read = (relative: string) => {
  const file = Path.join(root, relative)
  return Fs.existsSync(file) ? Fs.readFileSync(file, "utf8") : undefined
}

/** Every line of trouble; empty when all generated files are current. */
export const check = (): ReadonlyArray<string> => {
  const lines: Array<string> = []
  for (const [folder, contracts] of catalogs) {
    const report = ContractGate.check(contracts, Path.join(root, folder))
    if (!report.ok) lines.push(...report.lines.map((line) => `${folder}: ${line}`))
  }
  lines.push(...Registry.check(registry).map((problem) => `registry: ${problem}`))
  lines.push(
    ...Flow.check(flows, { catalogs: catalogs.map(([, contracts]) => contracts), registry }).map(
      (problem) => `flows: ${problem}`
    )
  )
  if (read(FLOWS_FILE) !== flowsPage())
    lines.push(`${FLOWS_FILE} is out of date: run pnpm --filter @tessera/contracts generate`)
  if (read(REGISTRY_FILE) !== RegistryExport.fileContent(RegistryExport.toJson(registry))) {
    lines.push(`${REGISTRY_FILE} is out of date: run pnpm --filter @tessera/contracts generate`)
  }
  const committed = read(EVENT_SCHEMAS_FILE)
  if (committed === undefined) lines.push(`${EVENT_SCHEMAS_FILE} is missing`)
  else {
    const diff = RegistryExport.diffSnapshot(JSON.parse(committed), RegistryExport.snapshot(registry))
    if (diff.changed.length > 0 || diff.removed.length > 0) {
      lines.push(
        `published event versions changed (${diff.changed.join(", ") || "none"}) or were removed (${diff.removed.join(", ") || "none"}): add a new version with an upcaster instead`
      )
    }
    if (diff.added.length > 0) lines.push(`${EVENT_SCHEMAS_FILE} lacks ${diff.added.join(", ")}: run generate`)
  }
  return lines
}

const write = (): ReadonlyArray<string> => {
  const lines: Array<string> = []
  for (const [folder, contracts] of catalogs) {
    const report = ContractGate.generate(contracts, Path.join(root, folder))
    lines.push(...report.lines)
    if (!report.ok) return [...lines, "refused"]
  }
  Fs.writeFileSync(Path.join(root, REGISTRY_FILE), RegistryExport.fileContent(RegistryExport.toJson(registry)))
  Fs.writeFileSync(Path.join(root, FLOWS_FILE), flowsPage())
  const committed = read(EVENT_SCHEMAS_FILE)
  const updated = RegistryExport.updateSnapshot(
    committed === undefined ? {} : JSON.parse(committed),
    RegistryExport.snapshot(registry)
  )
  if (Result.isFailure(updated)) {
    return [...lines, `published event versions may not change: ${updated.failure.changed.join(", ")}`, "refused"]
  }
  Fs.writeFileSync(Path.join(root, EVENT_SCHEMAS_FILE), RegistryExport.fileContent(updated.success))
  return [...lines, `wrote ${REGISTRY_FILE}, ${EVENT_SCHEMAS_FILE} and ${FLOWS_FILE}`]
}

if (import.meta.main) {
  const [command] = process.argv.slice(2)
  if (command === "write") {
    const lines = write()
    process.stdout.write(`${lines.join("\n")}\n`)
    process.exitCode = lines.at(-1) === "refused" ? 1 : 0
  } else if (command === "check") {
    const lines = check()
    ;(lines.length === 0 ? process.stdout : process.stderr).write(
      lines.length === 0 ? "contracts: generated files are current\n" : `${lines.join("\n")}\n`
    )
    process.exitCode = lines.length === 0 ? 0 : 1
  } else {
    process.stderr.write("usage: node scripts/Generated.ts <write|check>\n")
    process.exitCode = 2
  }
}
