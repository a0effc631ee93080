/**
 * Markdown pages generated from contracts, one per contract, in the style of the seed pages: key,
 * type, version, stability, owners, tags, description, goal, context, HTTP route, policy, input
 * and output fields, errors, emitted events, audit, scenarios and examples. `render` gives the
 * files of a catalog; `drift` compares them with a folder (the CI check that they are current).
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { type AnyContract, domainOf } from "./Contract.ts"
import { kitErrorsOf } from "./ContractError.ts"
import * as ContractSnapshot from "./ContractSnapshot.ts"
import { errorInfo } from "./internal/ErrorInfo.ts"

const AUTH_TEXT = {
  anonymous: "`anonymous` — no token needed (a token, when sent, identifies the caller)",
  user: "`user` — a valid bearer token",
  admin: "`admin` — a bearer token with the `admin` role",
  service: "`service` — a service principal's token (a process, never a person), or an admin's"
} as const

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ")

const json = (value: unknown) => ["```json", JSON.stringify(value, null, 2), "```"].join("\n")

/** `| field | type | required |` rows, nested objects flattened with dotted paths. */
const fieldRows = (shape: ContractSnapshot.Shape, prefix = ""): ReadonlyArray<string> => {
  if (shape.type === "array" && shape.items.type === "struct") {
    return fieldRows(shape.items, `${prefix}[]`)
  }
  if (shape.type !== "struct") return []
  return Object.entries(shape.properties).flatMap(([name, property]) => {
    const path = prefix === "" ? name : `${prefix}.${name}`
    const checks = "checks" in property.shape && property.shape.checks ? ` (${property.shape.checks.join("; ")})` : ""
    const row = `| \`${path}\` | ${cell(ContractSnapshot.describe(property.shape) + checks)} | ${property.optional ? "no" : "yes"} |`
    return [row, ...fieldRows(property.shape, path)]
  })
}

const fieldsTable = (shape: ContractSnapshot.Shape): string => {
  const rows = fieldRows(shape)
  if (rows.length === 0) return shape.type === "struct" ? "_No fields._" : `\`${ContractSnapshot.describe(shape)}\``
  return ["| Field | Type | Required |", "|---|---|---|", ...rows].join("\n")
}

const steps = (keyword: string, texts: ReadonlyArray<string>) =>
  texts.map((text, index) => `- **${index === 0 ? keyword : "And"}** ${text}`)

/** The Markdown page of one contract. */
export const page = (contract: AnyContract): string => {
  const { meta } = contract
  const lines: Array<string> = [
    `<!-- Generated from the contract ${contract.key}@${contract.version} by @tessera/contract-kit. Do not edit: run the docs script. -->`,
    "",
    `# ${contract.key}`,
    "",
    meta.description,
    "",
    "| | |",
    "|---|---|",
    `| Key | \`${contract.key}\` |`,
    `| Type | operation (${contract.kind}) |`,
    `| Version | ${contract.version} |`,
    `| Stability | ${meta.stability} |`,
    `| Owners | ${meta.owners.length === 0 ? "—" : meta.owners.join(", ")} |`,
    `| Tags | ${meta.tags.length === 0 ? "—" : meta.tags.join(", ")} |`,
    `| Domain | ${domainOf(contract)} |`,
    `| HTTP | \`${contract.http.method} ${contract.http.path}\` (operationId \`${contract.key}\`) |`,
    `| Idempotent | ${contract.idempotent ? "yes — retries with the same `Idempotency-Key` header get the first response" : "no"} |`,
    "",
    "## Goal",
    "",
    meta.goal,
    "",
    "## Context",
    "",
    meta.context,
    "",
    "## Policy",
    "",
    `- Auth: ${AUTH_TEXT[contract.policy.auth]}`,
    ...(contract.policy.roles !== undefined && contract.policy.roles.length > 0
      ? [`- Roles: one of ${contract.policy.roles.map((role) => `\`${role}\``).join(", ")}`]
      : []),
    "",
    "## Input",
    "",
    fieldsTable(ContractSnapshot.shape(contract.input)),
    "",
    "Unknown properties are rejected (400).",
    "",
    "## Output",
    "",
    fieldsTable(ContractSnapshot.shape(contract.output)),
    "",
    "## Errors",
    ""
  ]
  if (contract.errors.length === 0) {
    lines.push("_No declared errors._")
  } else {
    lines.push("| Code | Status | Error | Title | When |", "|---|---|---|---|---|")
    for (const error of contract.errors) {
      const info = errorInfo(error)
      lines.push(
        `| \`${info.code}\` | ${info.status ?? "—"} | ${info.tag} | ${cell(info.title)} | ${cell(info.description ?? "")} |`
      )
    }
  }
  lines.push(
    "",
    `This operation may also answer ${kitErrorsOf(contract)
      .map((error) => errorInfo(error))
      .map((info) => `${info.status} \`${info.code}\``)
      .join(", ")}. Errors are \`application/problem+json\` with \`status\`, \`code\`, \`title\` and \`detail\`.`,
    "",
    "## Emitted Events",
    ""
  )
  if (contract.emits.length === 0) {
    lines.push("_None._")
  } else {
    for (const { event, when } of contract.emits) {
      lines.push(
        `- \`${event.type}\` (v${event.version})${when === "" ? "" : ` — when: ${when}`}. ${event.description}`
      )
    }
  }
  lines.push(
    "",
    "## Audit",
    "",
    contract.audit === false
      ? "Not audited."
      : `Audited as \`${contract.audit.action}\`${contract.audit.input ? ", with its input" : ", without its input"}, in the call's transaction.`,
    "",
    "## Scenarios",
    ""
  )
  if (contract.acceptance.scenarios.length === 0) lines.push("_None._")
  for (const scenario of contract.acceptance.scenarios) {
    lines.push(
      `### ${scenario.key}`,
      "",
      ...steps("Given", scenario.given),
      ...steps("When", scenario.when),
      ...steps("Then", scenario.then),
      ""
    )
  }
  if (contract.acceptance.scenarios.length === 0) lines.push("")
  lines.push("## Examples", "")
  if (contract.acceptance.examples.length === 0) lines.push("_None._", "")
  for (const example of contract.acceptance.examples) {
    lines.push(
      `### ${example.key}`,
      "",
      ...(example.description === undefined ? [] : [example.description, ""]),
      "Input:",
      "",
      json(example.input),
      "",
      "Output:",
      "",
      json(example.output),
      ""
    )
  }
  return `${lines.join("\n").trimEnd()}\n`
}

const index = (contracts: ReadonlyArray<AnyContract>): string =>
  [
    "<!-- Generated by @tessera/contract-kit. Do not edit: run the docs script. -->",
    "",
    "# Contracts",
    "",
    "| Key | Type | Version | Stability | Description |",
    "|---|---|---|---|---|",
    ...[...contracts]
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map(
        (contract) =>
          `| [\`${contract.key}\`](${contract.key}.md) | ${contract.kind} | ${contract.version} | ${contract.meta.stability} | ${cell(contract.meta.description)} |`
      ),
    ""
  ].join("\n")

export const SNAPSHOT_FILE = "snapshot.json"

/** Every generated file of a catalog (file name → content): pages, index and snapshot. */
export const render = (contracts: ReadonlyArray<AnyContract>): ReadonlyMap<string, string> =>
  new Map([
    ["README.md", index(contracts)],
    ...contracts.map((contract): [string, string] => [`${contract.key}.md`, page(contract)]),
    [SNAPSHOT_FILE, ContractSnapshot.render(ContractSnapshot.make(contracts))]
  ])

export interface Drift {
  readonly missing: ReadonlyArray<string>
  readonly stale: ReadonlyArray<string>
  readonly extra: ReadonlyArray<string>
}

/** How `folder` differs from the pages `files` (the snapshot is checked by the gate, not here). */
export const drift = (files: ReadonlyMap<string, string>, folder: string): Drift => {
  const present = Fs.existsSync(folder) ? Fs.readdirSync(folder).filter((name) => name.endsWith(".md")) : []
  const missing: Array<string> = []
  const stale: Array<string> = []
  for (const [name, content] of files) {
    if (name === SNAPSHOT_FILE) continue
    const path = Path.join(folder, name)
    if (!Fs.existsSync(path)) missing.push(name)
    else if (Fs.readFileSync(path, "utf8") !== content) stale.push(name)
  }
  const extra = present.filter((name) => !files.has(name))
  return { missing, stale, extra }
}

export const isCurrent = (found: Drift) => found.missing.length + found.stale.length + found.extra.length === 0

/** Writes the pages (not the snapshot) into `folder`, removing pages of contracts that are gone. */
export const writePages = (files: ReadonlyMap<string, string>, folder: string): void => {
  Fs.mkdirSync(folder, { recursive: true })
  for (const name of drift(files, folder).extra) Fs.rmSync(Path.join(folder, name))
  for (const [name, content] of files) {
    if (name !== SNAPSHOT_FILE) Fs.writeFileSync(Path.join(folder, name), content)
  }
}
