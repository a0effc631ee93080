#!/usr/bin/env node
/**
 * `pnpm new:domain <name>`: a new Tessera domain in the app shape (docs/app-shape.md), ready to
 * run, test and mount:
 *
 * - `packages/contracts/src/<name>/` (Shared, Items: `<name>.item.create` emitting
 *   `<name>.item.created` and `<name>.item.list`, Events, Catalog) and `src/<name>.ts`, with the
 *   package's subpath exports, the registry entries (its event; `<name>` as a consumer of the
 *   CRM's `contact.created`) and the docs catalog entry; then the generated pages and JSON;
 * - `apps/<name>/`: `<Domain>App.ts`, `main.ts`, `seed.ts`, `domain/`, `repositories/`,
 *   `handlers/`, `consumers/` (the CRM's `contact.created`), `migrations/` (own schema, the shared
 *   `iso()`), `test/` (HTTP through the derived client, acceptance examples as written, scenario
 *   coverage, the catalog test, the consumer, the pure rule) and a README;
 * - mounted in `apps/stack` (`Stack.ts` `apps`, its package.json; the front door's list and the
 *   processes mode's mains are derived from the `App` value);
 * - one flow across domains, `<name>.crm-contacts` (the CRM's `contact.created` → the
 *   `<name>.contacts` consumer), declared in `packages/contracts/src/flows.ts` and tested in
 *   `apps/stack/test/<Domain>.flows.test.ts` on `@tessera/test-kit/StackTest` in both modes (the
 *   "Generator template" of docs/testing.md, with the domain's own item test beside it).
 *
 * A taken or invalid name is refused (exit code 2) before anything is written. Plain Node, no
 * dependencies; it runs `pnpm install` (to link the new package), the contracts' `generate` and
 * Biome on the files it wrote or touched.
 *
 *   node scripts/new-domain.mjs <name> [--skip-install]
 */
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"

const root = Path.resolve(import.meta.dirname, "..")
const at = (...parts) => Path.join(root, ...parts)

const VALID = /^[a-z][a-z0-9]{1,29}$/
/** Names that are schemas, folders or domains already, whatever the tree holds. */
const RESERVED = new Set([
  "public",
  "stack",
  "studio",
  "dispatch",
  "dispatcher",
  "operations",
  "contracts",
  "contractkit",
  "registry",
  "database",
  "envelope",
  "tessera",
  "test",
  "tests",
  "docs",
  "scripts",
  "tooling",
  "packages",
  "apps",
  "shared",
  "information"
])

/** PostgreSQL's reserved key words: not usable unquoted as the schema in \`<name>.items\`. */
const SQL_RESERVED = new Set(
  (
    "all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate " +
    "collation column concurrently constraint create cross current_catalog current_date current_role " +
    "current_schema current_time current_timestamp current_user default deferrable desc distinct do else end " +
    "except false fetch for foreign freeze from full grant group having ilike in initially inner intersect into " +
    "is isnull join lateral leading left like limit localtime localtimestamp natural not notnull null offset on " +
    "only or order outer overlaps placing primary references returning right select session_user similar some " +
    "symmetric system_user table tablesample then to trailing true union unique user using variadic verbose " +
    "when where window with"
  ).split(" ")
)

const fail = (message) => {
  process.stderr.write(`new:domain: ${message}\n`)
  process.exit(2)
}

const args = process.argv.slice(2)
const skipInstall = args.includes("--skip-install")
const positional = args.filter((arg) => !arg.startsWith("--"))
if (positional.length !== 1) {
  fail("usage: pnpm new:domain <name>   (lower-case letters and digits, starting with a letter, 2 to 30 characters)")
}
const name = positional[0]

if (!VALID.test(name) || name.startsWith("pg")) {
  fail(
    `${JSON.stringify(name)} is not a valid domain name. A domain name is 2 to 30 lower-case letters (a-z) and digits (0-9), ` +
      "starting with a letter and not with `pg`: it is the contract key prefix (`<name>.item.create`), the PostgreSQL " +
      "schema, the folder apps/<name> and the package @tessera/<name>. Examples: billing, inventory, crm2."
  )
}

/** Every domain string the tree uses: apps' `domain`, registry producers and consumers. */
const domainsInUse = () => {
  const found = new Set()
  const registry = Fs.readFileSync(at("packages/contracts/src/registry.ts"), "utf8")
  for (const match of registry.matchAll(/producer:\s*"([^"]+)"/g)) found.add(match[1])
  for (const match of registry.matchAll(/consumers:\s*\[([^\]]*)\]/g)) {
    for (const consumer of match[1].matchAll(/"([^"]+)"/g)) found.add(consumer[1])
  }
  for (const app of Fs.readdirSync(at("apps"))) {
    const src = at("apps", app, "src")
    if (!Fs.existsSync(src)) continue
    for (const file of Fs.readdirSync(src)) {
      if (!file.endsWith(".ts")) continue
      const text = Fs.readFileSync(Path.join(src, file), "utf8")
      for (const match of text.matchAll(/(?:DOMAIN\s*=|domain:)\s*"([^"]+)"/g)) found.add(match[1])
    }
  }
  // The domains flows across domains cross.
  const flows = Fs.readFileSync(at("packages/contracts/src/flows.ts"), "utf8")
  for (const match of flows.matchAll(/domains:\s*\[([^\]]*)\]/g)) {
    for (const domain of match[1].matchAll(/"([^"]+)"/g)) found.add(domain[1])
  }
  for (const match of flows.matchAll(/handledBy:\s*"([^"]+)"/g)) found.add(match[1])
  return found
}

const taken = [
  RESERVED.has(name) ? `${name} is reserved` : undefined,
  SQL_RESERVED.has(name) ? `${name} is a PostgreSQL reserved word (it names the domain's schema)` : undefined,
  Fs.existsSync(at("apps", name)) ? `apps/${name} exists` : undefined,
  Fs.existsSync(at("packages", name)) ? `packages/${name} exists` : undefined,
  Fs.existsSync(at("tooling", name)) ? `tooling/${name} exists` : undefined,
  Fs.existsSync(at("packages/contracts/src", name)) ? `packages/contracts/src/${name}/ exists` : undefined,
  Fs.existsSync(at("packages/contracts/src", `${name}.ts`)) ? `packages/contracts/src/${name}.ts exists` : undefined,
  domainsInUse().has(name) ? `the domain "${name}" is in use (an app or the event registry names it)` : undefined
].filter((reason) => reason !== undefined)
if (taken.length > 0)
  fail(`the name ${JSON.stringify(name)} is taken or reserved: ${taken.join("; ")}. Choose another name.`)

const Domain = name[0].toUpperCase() + name.slice(1)
const today = new Date().toISOString().slice(0, 10)

/** The next free port after the apps' ones (3001 the CRM, …). */
const port = (() => {
  let highest = 3000
  for (const app of Fs.readdirSync(at("apps"))) {
    const src = at("apps", app, "src")
    if (!Fs.existsSync(src)) continue
    for (const file of Fs.readdirSync(src)) {
      if (!file.endsWith("App.ts")) continue
      for (const match of Fs.readFileSync(Path.join(src, file), "utf8").matchAll(/port:\s*(\d{4})/g)) {
        highest = Math.max(highest, Number(match[1]))
      }
    }
  }
  return highest + 1
})()

// ---------------------------------------------------------------------------------------------
// Edits of shared files: computed first, written only once every anchor was found.

const edits = new Map()
const readText = (relative) => edits.get(relative) ?? Fs.readFileSync(at(relative), "utf8")
const edit = (relative, change) => {
  const before = readText(relative)
  const after = change(before)
  if (after === before) fail(`could not edit ${relative}: its expected shape was not found (nothing was written)`)
  edits.set(relative, after)
}
/** Inserts `lines` after the module's last import (Biome sorts them afterwards). */
const afterLastImport = (source, lines) => {
  const imports = [...source.matchAll(/^import [^;]*?from "[^"]+"\n/gms)]
  const last = imports.at(-1)
  if (last === undefined) return source
  const end = last.index + last[0].length
  return `${source.slice(0, end)}${lines}${source.slice(end)}`
}

/**
 * Inserts `text` as the last element of the literal (`= [ … ]`, or `= { … }` with `"{"`) that
 * follows `anchor`. Brackets inside strings must balance (they do in the files edited here).
 */
const beforeLiteralEnd = (source, anchor, text, opener = "[") => {
  const closer = opener === "[" ? "]" : "}"
  const start = source.indexOf(anchor)
  if (start < 0) return source
  const open = source.indexOf(`= ${opener}`, start)
  if (open < 0) return source
  let depth = 0
  for (let i = open + 2; i < source.length; i++) {
    const c = source[i]
    if (c === opener) depth++
    else if (c === closer) {
      depth--
      if (depth === 0) {
        const head = source.slice(0, i).replace(/\s*$/, "")
        const separator = head.endsWith(opener) ? "" : ","
        return `${head}${separator}\n  ${text}\n${source.slice(i)}`
      }
    }
  }
  return source
}
const beforeArrayEnd = (source, anchor, text) => beforeLiteralEnd(source, anchor, text, "[")

edit("packages/contracts/package.json", (text) => {
  const json = JSON.parse(text)
  const exports = {}
  for (const [key, value] of Object.entries(json.exports)) {
    if (key === "./registry") {
      exports[`./${name}`] = `./src/${name}.ts`
      exports[`./${name}/*`] = `./src/${name}/*.ts`
    }
    exports[key] = value
  }
  if (exports[`./${name}`] === undefined) {
    exports[`./${name}`] = `./src/${name}.ts`
    exports[`./${name}/*`] = `./src/${name}/*.ts`
  }
  return `${JSON.stringify({ ...json, exports }, null, 2)}\n`
})

edit("packages/contracts/src/registry.ts", (text) => {
  let next = text.replace(
    /("contact\.created":\s*\{\s*producer:\s*"crm",\s*consumers:\s*\[)([^\]]*)\]/,
    (_, head, consumers) => `${head}${consumers.trim() === "" ? "" : `${consumers.trim()}, `}"${name}"]`
  )
  if (next === text) return text
  next = afterLastImport(next, `import { ItemCreated as ${Domain}ItemCreated } from "./${name}/Events.ts"\n`)
  const start = next.indexOf("export const registry = make({")
  const end = next.lastIndexOf("\n})")
  if (start < 0 || end < start) return text
  const head = next.slice(0, end).replace(/\s*$/, "")
  const entry = `  "${name}.item.created": {
    producer: "${name}",
    consumers: [],
    owningContract: "${name}.item.create",
    versions: [
      version(${Domain}ItemCreated, {
        status: "active",
        registeredAt: "${today}",
        notes: "An item was created, with its name and who created it."
      })
    ]
  }`
  return `${head},\n${entry}${next.slice(end)}`
})

edit("packages/contracts/scripts/Generated.ts", (text) => {
  const withImport = afterLastImport(text, `import { catalog as ${name}Catalog } from "../src/${name}/Catalog.ts"\n`)
  if (withImport === text) return text
  return beforeArrayEnd(withImport, "export const catalogs", `["docs/${name}", ${name}Catalog]`)
})

edit("apps/stack/src/Stack.ts", (text) => {
  const withImport = afterLastImport(text, `import { ${Domain}App } from "@tessera/${name}/${Domain}App"\n`)
  if (withImport === text) return text
  const withApp = beforeArrayEnd(withImport, "export const apps: ReadonlyArray<App.App> = [", `${Domain}App`)
  return withApp === withImport ? text : withApp
})

// The domain's first flow across domains: its consumer of the CRM's contact.created. The test
// naming it (`flow ${name}.crm-contacts: …`, apps/stack/test/FlowCoverage.test.ts) is written below.
const flowKey = `${name}.crm-contacts`
edit("packages/contracts/src/flows.ts", (text) =>
  beforeArrayEnd(
    text,
    "export const flows: ReadonlyArray<Flow.Flow> = [",
    `Flow.make({
    key: "${flowKey}",
    title: "A contact created in the CRM becomes known to ${Domain}",
    domains: ["crm", "${name}"],
    given: ["An organization using the CRM and ${Domain}"],
    when: ["A user creates a contact in the CRM"],
    then: [
      "${Domain} records the contact (its id and owner) as known to the organization",
      "Handing contact.created to ${Domain} again changes nothing"
    ],
    steps: [
      { call: "crm.contact.create" },
      { event: "contact.created", handledBy: "${name}", note: "the ${name}.contacts consumer records the contact" }
    ]
  })`
  )
)

edit("apps/stack/package.json", (text) => {
  const json = JSON.parse(text)
  const dependencies = Object.fromEntries(
    Object.entries({ ...json.dependencies, [`@tessera/${name}`]: "workspace:*" }).sort(([a], [b]) => (a < b ? -1 : 1))
  )
  return `${JSON.stringify({ ...json, dependencies }, null, 2)}\n`
})

// ---------------------------------------------------------------------------------------------
// New files.

const files = new Map()
const file = (relative, content) => {
  if (Fs.existsSync(at(relative))) fail(`${relative} exists already (nothing was written)`)
  files.set(relative, `${content.replace(/^\n/, "")}`)
}

const contracts = `packages/contracts/src/${name}`
const app = `apps/${name}`

file(
  `packages/contracts/src/${name}.ts`,
  `
/**
 * The ${name} domain: items. \`Items\` holds its contracts and errors; \`Events\` the events it
 * publishes; \`Catalog\` the whole list. Import a module by subpath
 * (\`@tessera/contracts/${name}/Items\`) or everything from here.
 */
export * from "./${name}/Catalog.ts"
export * from "./${name}/Events.ts"
export * from "./${name}/Items.ts"
export * from "./${name}/Shared.ts"
`
)

file(
  `${contracts}/Shared.ts`,
  `
/**
 * Value types every ${name} contract shares: ids, names, timestamps, owners.
 */
import { Schema } from "effect"

/** Ids are opaque strings of 1 to 64 characters (generated ones look like \`item_0194f3…\`). */
const OpaqueId = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(64))

export const ItemId = OpaqueId.pipe(Schema.brand("ItemId"))
export type ItemId = typeof ItemId.Type

/** A name of 1 to 200 characters, not only spaces. */
export const Name = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200), Schema.isPattern(/\\S/))

/** An instant as an ISO 8601 UTC string, e.g. \`2025-01-21T09:00:00.000Z\`. */
export const Timestamp = Schema.String.check(
  Schema.isPattern(/^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,6})?Z$/)
).pipe(Schema.annotate({ description: "ISO 8601 UTC timestamp" }))

export const owners = ["@tessera.${name}"]
`
)

file(
  `${contracts}/Events.ts`,
  `
/**
 * The events the ${name} domain publishes. Other domains subscribe to these definitions (never to
 * strings). A published version never changes: a change is a new version with an upcaster,
 * registered in \`../registry.ts\`.
 */
import { define } from "@tessera/envelope/EventDefinition"
import { Schema } from "effect"
import { ItemId, Name } from "./Shared.ts"

export const ItemCreated = define({
  type: "${name}.item.created",
  version: 1,
  producer: "${name}",
  description: "An item was created.",
  payload: Schema.Struct({ itemId: ItemId, name: Name, createdBy: Schema.String }),
  subject: (payload) => ({ type: "item", id: payload.itemId })
})
`
)

file(
  `${contracts}/Items.ts`,
  `
/**
 * Items: the ${name} domain's first aggregate. Rename it to what your domain holds.
 */
import { command, query } from "@tessera/contract-kit/Contract"
import { ContractError } from "@tessera/contract-kit/ContractError"
import { Schema } from "effect"
import { ItemCreated } from "./Events.ts"
import { ItemId, Name, owners, Timestamp } from "./Shared.ts"

export const Item = Schema.Struct({
  id: ItemId,
  name: Name,
  createdBy: Schema.String,
  createdAt: Timestamp
})
export type Item = typeof Item.Type

export class ItemNameTaken extends ContractError<ItemNameTaken>()(
  "ItemNameTaken",
  {
    code: "ITEM_NAME_TAKEN",
    status: 409,
    title: "Item name taken",
    when: "Another item of the organization has this name (ignoring case)"
  },
  { name: Schema.String }
) {}

export const CreateItem = command({
  meta: {
    key: "${name}.item.create",
    version: "1.0.0",
    stability: "experimental",
    owners,
    tags: ["${name}", "item", "create"],
    description: "Create an item.",
    goal: "Record something the ${name} domain keeps track of.",
    context: "Item capture."
  },
  input: Schema.Struct({ name: Name }),
  output: Item,
  errors: [ItemNameTaken],
  policy: { auth: "user" },
  // A retried call with the same Idempotency-Key answers the first call's result, once.
  idempotent: true,
  emits: [{ event: ItemCreated, when: "The item is created" }],
  acceptance: {
    scenarios: [
      {
        key: "create-item-happy-path",
        given: ["User is authenticated"],
        when: ["User creates an item named First item"],
        then: ["The item is created by the user", "ItemCreated event is emitted"]
      },
      {
        key: "create-item-duplicate-name",
        given: ["An item named First item exists"],
        when: ["User creates another item named first ITEM"],
        then: ["The call is refused with 409 ITEM_NAME_TAKEN", "No event is emitted"]
      }
    ],
    examples: [
      {
        key: "create-first-item",
        input: { name: "First item" },
        output: { id: "item_1", name: "First item", createdBy: "user-1", createdAt: "2025-01-20T09:00:00.000Z" }
      }
    ]
  }
})

export const ListItems = query({
  meta: {
    key: "${name}.item.list",
    version: "1.0.0",
    stability: "experimental",
    owners,
    tags: ["${name}", "item", "list"],
    description: "List the organization's items, oldest first.",
    goal: "See what the ${name} domain keeps track of.",
    context: "Item lists."
  },
  input: Schema.Struct({}),
  output: Schema.Struct({ items: Schema.Array(Item) }),
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "list-items-of-own-organization",
        given: ["Two organizations each have an item"],
        when: ["A user of one lists items"],
        then: ["Only their organization's item is returned"]
      }
    ],
    examples: [
      {
        key: "list-one-item",
        input: {},
        output: {
          items: [{ id: "item_1", name: "First item", createdBy: "user-1", createdAt: "2025-01-20T09:00:00.000Z" }]
        }
      }
    ]
  }
})
`
)

file(
  `${contracts}/Catalog.ts`,
  `
/**
 * The ${name} domain's whole catalog, as clients (\`ContractApi.make("${name}", catalog)\`), the
 * docs and the breaking-change snapshot read it, and the events it publishes.
 */
import { ItemCreated } from "./Events.ts"
import { CreateItem, ListItems } from "./Items.ts"

export const catalog = [CreateItem, ListItems] as const

/** The events the ${name} domain publishes. */
export const events = [ItemCreated] as const
`
)

// The app ----------------------------------------------------------------------------------------

/**
 * The versions the other apps pin (so the new app stays in step with them), else these: Tessera's
 * pins (see STACK.md); workspace packages are `workspace:*`.
 */
const versions = (() => {
  const found = {
    "@effect/platform-node": "4.1.0",
    "@effect/sql-pg": "4.0.5",
    effect: "4.1.0",
    "@effect/vitest": "4.0.5",
    "@types/node": "24.19.2",
    "fast-check": "4.10.2",
    typescript: "5.9.3",
    vitest: "5.1.1"
  }
  for (const app of Fs.readdirSync(at("apps"))) {
    const manifest = at("apps", app, "package.json")
    if (!Fs.existsSync(manifest)) continue
    const json = JSON.parse(Fs.readFileSync(manifest, "utf8"))
    for (const [dependency, version] of Object.entries({ ...json.dependencies, ...json.devDependencies })) {
      if (dependency in found && !String(version).startsWith("workspace:")) found[dependency] = version
    }
  }
  return found
})()
const pick = (keys) => Object.fromEntries(keys.map((key) => [key, versions[key] ?? "workspace:*"]))

file(
  `${app}/package.json`,
  `${JSON.stringify(
    {
      name: `@tessera/${name}`,
      version: "0.0.0",
      private: true,
      type: "module",
      license: "MIT",
      exports: { [`./${Domain}App`]: `./src/${Domain}App.ts` },
      scripts: {
        start: "node src/main.ts",
        typecheck: "tsc -p tsconfig.json",
        lint: "biome check .",
        test: "vitest run"
      },
      dependencies: pick([
        "@effect/platform-node",
        "@effect/sql-pg",
        "@tessera/contract-kit",
        "@tessera/contract-server",
        "@tessera/contracts",
        "@tessera/database",
        "@tessera/dispatcher",
        "@tessera/envelope",
        "effect"
      ]),
      devDependencies: pick([
        "@effect/vitest",
        "@tessera/test-harness",
        "@tessera/test-kit",
        "@tessera/tsconfig",
        "@types/node",
        "fast-check",
        "typescript",
        "vitest"
      ])
    },
    null,
    2
  )}\n`
)

file(
  `${app}/tsconfig.json`,
  `{
  "extends": "@tessera/tsconfig/tsconfig.base.json",
  "include": ["src", "test", "migrations", "*.ts"]
}
`
)

file(
  `${app}/vitest.config.ts`,
  `
import { tesseraConfig } from "@tessera/test-harness/vitest"

export default tesseraConfig()
`
)

file(
  `${app}/README.md`,
  `
# ${Domain} (\`@tessera/${name}\`, domain \`${name}\`)

Generated by \`pnpm new:domain ${name}\` in [the app shape](../../docs/app-shape.md): one aggregate
(items), one consumer of another domain's event. Rename and grow it into your domain.

## Contracts

Defined in \`packages/contracts/src/${name}/\` (pages in \`packages/contracts/docs/${name}/\`):
\`${name}.item.create\`, \`${name}.item.list\`.

## Events

- **Produces** (\`@tessera/contracts/${name}/Catalog\` \`events\`): \`${name}.item.created\`.
- **Consumes** (\`src/consumers/ContactConsumer.ts\`, the \`${name}.contacts\` consumer): the CRM's
  \`contact.created\`, recorded as a known contact of the organization.

## Layout

\`src/${Domain}App.ts\` (the App: schema \`${name}\`, migrations, services, routes, workers, seed) ·
\`src/domain/\` (pure rules) · \`src/repositories/\` (\`@tessera/database/Rows\`) · \`src/handlers/\` ·
\`src/consumers/\` · \`src/seed.ts\` (a welcome item, through the contracts over HTTP) ·
\`migrations/\` · \`test/\`.

## Run it alone

\`\`\`sh
pnpm --filter @tessera/${name} start     # port ${port} (PORT overrides), with its consumer
pnpm --filter @tessera/${name} test
\`\`\`

OpenAPI at \`/${name}/openapi.json\`, docs at \`/${name}/docs\`. In the stack (\`npm start\`) it is
mounted beside the other apps.
`
)

file(
  `${app}/migrations/0001_create_${name}.ts`,
  `
/**
 * The ${name} domain's tables, in the \`${name}\` schema (the migration runs with \`search_path\` set
 * to it). Every row carries its organization and every key starts with it.
 */
import * as Migrations from "@tessera/database/Migrations"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  // Timestamps leave the database as the API writes them: ISO 8601 UTC with milliseconds.
  yield* Migrations.isoFunction

  yield* sql\`
    CREATE TABLE items (
      organization_id text NOT NULL,
      id text NOT NULL,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      created_by text NOT NULL,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (organization_id, id)
    )\`
  yield* sql\`CREATE UNIQUE INDEX items_name ON items (organization_id, lower(name))\`

  // The CRM's contacts this domain has heard of (from contact.created), ids only.
  yield* sql\`
    CREATE TABLE known_contacts (
      organization_id text NOT NULL,
      contact_id text NOT NULL,
      owner_id text NOT NULL,
      seen_at timestamptz NOT NULL,
      PRIMARY KEY (organization_id, contact_id)
    )\`
})
`
)

file(
  `${app}/src/domain/ItemNames.ts`,
  `
/**
 * How item names are kept: trimmed, inner runs of white space as one space. Pure.
 */

/** The name as stored and compared (the database compares it ignoring case). */
export const normalizeName = (name: string): string => name.trim().replace(/\\s+/g, " ")
`
)

file(
  `${app}/src/repositories/ItemRepository.ts`,
  `
/**
 * Items, scoped by organization. Rows leave the database in the API's shape and are decoded by
 * the contract's schema (\`@tessera/database/Rows\`).
 */
import { Item, ItemNameTaken } from "@tessera/contracts/${name}/Items"
import * as Rows from "@tessera/database/Rows"
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"

export interface NewItem {
  readonly organizationId: string
  readonly id: string
  readonly name: string
  readonly createdBy: string
  readonly at: Date
}

export class ItemRepository extends Context.Service<
  ItemRepository,
  {
    readonly insert: (item: NewItem) => Effect.Effect<Item, ItemNameTaken>
    /** Oldest first. */
    readonly list: (organizationId: string) => Effect.Effect<ReadonlyArray<Item>>
  }
>()("@tessera/${name}/ItemRepository") {
  static readonly layer = Layer.effect(
    ItemRepository,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const columns = sql.literal(\`i.id, i.name, i.created_by AS "createdBy", ${name}.iso(i.created_at) AS "createdAt"\`)

      return ItemRepository.of({
        insert: Effect.fn("ItemRepository.insert")(function* (item) {
          return yield* Rows.one(
            Item,
            Rows.unique(
              sql\`
                WITH i AS (
                  INSERT INTO ${name}.items (organization_id, id, name, created_by, created_at)
                  VALUES (\${item.organizationId}, \${item.id}, \${item.name}, \${item.createdBy}, \${item.at})
                  RETURNING *)
                SELECT \${columns} FROM i\`,
              () => new ItemNameTaken({ name: item.name, detail: \`An item named "\${item.name}" already exists.\` }),
              { constraint: "items_name" }
            )
          )
        }),

        list: Effect.fn("ItemRepository.list")(function* (organizationId) {
          return yield* Rows.all(
            Item,
            sql\`SELECT \${columns} FROM ${name}.items i WHERE i.organization_id = \${organizationId} ORDER BY i.created_at, i.id\`
          )
        })
      })
    })
  )
}
`
)

file(
  `${app}/src/repositories/KnownContactRepository.ts`,
  `
/**
 * The CRM's contacts this domain has heard of, by organization: what \`ContactConsumer\` records.
 */
import * as Rows from "@tessera/database/Rows"
import { Context, Effect, Layer, Schema } from "effect"
import { SqlClient } from "effect/sql"

const KnownContact = Schema.Struct({ contactId: Schema.String, ownerId: Schema.String, seenAt: Schema.String })
export type KnownContact = typeof KnownContact.Type

export class KnownContactRepository extends Context.Service<
  KnownContactRepository,
  {
    /** Records the contact unless it is known already. True when recorded now. */
    readonly record: (organizationId: string, contactId: string, ownerId: string, at: Date) => Effect.Effect<boolean>
    readonly list: (organizationId: string) => Effect.Effect<ReadonlyArray<KnownContact>>
  }
>()("@tessera/${name}/KnownContactRepository") {
  static readonly layer = Layer.effect(
    KnownContactRepository,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient

      return KnownContactRepository.of({
        record: Effect.fn("KnownContactRepository.record")(function* (organizationId, contactId, ownerId, at) {
          return yield* Rows.some(sql\`
            INSERT INTO ${name}.known_contacts (organization_id, contact_id, owner_id, seen_at)
            VALUES (\${organizationId}, \${contactId}, \${ownerId}, \${at})
            ON CONFLICT DO NOTHING
            RETURNING contact_id\`)
        }),

        list: Effect.fn("KnownContactRepository.list")(function* (organizationId) {
          return yield* Rows.all(
            KnownContact,
            sql\`
              SELECT contact_id AS "contactId", owner_id AS "ownerId", ${name}.iso(seen_at) AS "seenAt"
              FROM ${name}.known_contacts WHERE organization_id = \${organizationId} ORDER BY seen_at, contact_id\`
          )
        })
      })
    })
  )
}
`
)

file(
  `${app}/src/handlers/ItemHandlers.ts`,
  `
/**
 * ${name}.item.create, ${name}.item.list
 */
import { implement } from "@tessera/contract-server/Implementation"
import { ItemCreated } from "@tessera/contracts/${name}/Events"
import { CreateItem, ListItems } from "@tessera/contracts/${name}/Items"
import { EventIds } from "@tessera/envelope/EventIds"
import { Clock, Effect } from "effect"
import { normalizeName } from "../domain/ItemNames.ts"
import { ItemRepository } from "../repositories/ItemRepository.ts"

export const createItem = implement(CreateItem, (input, { actor, emit }) =>
  Effect.gen(function* () {
    const items = yield* ItemRepository
    const uuid = yield* Effect.flatMap(EventIds, (ids) => ids.next)
    const item = yield* items.insert({
      organizationId: actor.organizationId,
      id: \`item_\${uuid}\`,
      name: normalizeName(input.name),
      createdBy: actor.userId,
      at: new Date(yield* Clock.currentTimeMillis)
    })
    yield* emit(ItemCreated, { itemId: item.id, name: item.name, createdBy: item.createdBy })
    return item
  })
)

export const listItems = implement(ListItems, (_input, { actor }) =>
  Effect.map(
    Effect.flatMap(ItemRepository, (items) => items.list(actor.organizationId)),
    (items) => ({ items })
  )
)
`
)

file(
  `${app}/src/consumers/ContactConsumer.ts`,
  `
/**
 * \`${name}.contacts\`: the ${name} domain's consumer of the CRM's \`contact.created\`. Each delivered
 * event records the contact as known to its organization, in the delivery's transaction with the
 * dispatcher's inbox row: a redelivered event changes nothing.
 */
import * as CrmEvents from "@tessera/contracts/crm/Events"
import * as Consumer from "@tessera/dispatcher/Consumer"
import { Effect } from "effect"
import { KnownContactRepository } from "../repositories/KnownContactRepository.ts"

/**
 * The events this domain consumes, declared once: the consumer handles each, and
 * \`packages/contracts/src/registry.ts\` names \`${name}\` as a consumer of each.
 */
export const consumes = [CrmEvents.ContactCreated] as const

export const ContactConsumer = Consumer.make({
  name: "${name}.contacts",
  domain: "${name}",
  handlers: consumes.map((definition) =>
    Consumer.on(definition, (event) =>
      Effect.flatMap(KnownContactRepository, (contacts) =>
        contacts.record(event.organization_id, event.payload.contactId, event.payload.ownerId, new Date(event.occurred_at))
      )
    )
  )
})
`
)

file(
  `${app}/src/${Domain}App.ts`,
  `
/**
 * ${Domain} as an \`App\`: its migrations, its services (repositories and ids), its routes (its
 * contracts on the app's \`HttpRouter\`), its workers (the \`${name}.contacts\` consumer) and its demo
 * data. \`main.ts\` serves it alone, \`apps/stack\` with the other apps. The layout is
 * docs/app-shape.md's.
 */
import * as App from "@tessera/contract-server/App"
import * as ContractServer from "@tessera/contract-server/ContractServer"
import { events } from "@tessera/contracts/${name}/Catalog"
import { registry } from "@tessera/contracts/registry"
import * as Migrations from "@tessera/database/Migrations"
import * as Worker from "@tessera/dispatcher/Worker"
import { EventIds } from "@tessera/envelope/EventIds"
import { Layer } from "effect"
import Create${Domain} from "../migrations/0001_create_${name}.ts"
import { ContactConsumer } from "./consumers/ContactConsumer.ts"
import { createItem, listItems } from "./handlers/ItemHandlers.ts"
import { ItemRepository } from "./repositories/ItemRepository.ts"
import { KnownContactRepository } from "./repositories/KnownContactRepository.ts"
import { seed } from "./seed.ts"

export const DOMAIN = "${name}"

export { events }

export const catalog = [createItem, listItems] as const

/**
 * The app's migrations, run in its own \`${name}\` schema with its own \`${name}.migrations\` table.
 * Add one: a new \`migrations/000N_name.ts\` default-exporting an Effect, listed here.
 */
export const schemaMigrations: Migrations.SchemaMigrations = {
  schema: "${name}",
  migrations: {
    "0001_create_${name}": Create${Domain}
  }
}

/** Runs the \`${name}\` schema's migrations when built. */
export const migrations = Migrations.layer(schemaMigrations)

/** Repositories and ids: everything the handlers and the consumer use. Needs a \`SqlClient\`. */
export const services = Layer.mergeAll(ItemRepository.layer, KnownContactRepository.layer, EventIds.layer)

/** The contracts on the \`HttpRouter\`, with the app's OpenAPI document and docs page under \`/${name}\`. */
export const routes = ContractServer.layer({
  domain: DOMAIN,
  catalog,
  events,
  openapiPath: "/${name}/openapi.json",
  docsPath: "/${name}/docs"
}).pipe(Layer.provide(services))

/** The app's event consumers. */
export const consumers = [ContactConsumer] as const

/** Dispatcher workers running the consumers for the layer's lifetime (deliveries are leased). */
export const workers = (options: Partial<Worker.Options> = {}) =>
  Worker.layer(consumers, { registry, ...options }).pipe(Layer.provide(services))

export const ${Domain}App = App.make({
  domain: DOMAIN,
  name: "${Domain}",
  port: ${port},
  main: new URL("./main.ts", import.meta.url),
  catalog,
  migrations,
  routes,
  workers: workers(),
  seed
})
`
)

file(
  `${app}/src/main.ts`,
  `
/**
 * ${Domain} alone in a process (\`pnpm --filter @tessera/${name} start\`, port ${port}): its contracts
 * over HTTP and its consumer, against the shared Postgres (\`DATABASE_URL\`, or the embedded server).
 */
import * as AppProcess from "@tessera/contract-server/AppProcess"
import { registry } from "@tessera/contracts/registry"
import * as DispatchProcess from "@tessera/dispatcher/DispatchProcess"
import { ${Domain}App } from "./${Domain}App.ts"

AppProcess.main({ name: ${Domain}App.name, defaultPort: ${Domain}App.port, apps: [${Domain}App], ...DispatchProcess.options(registry) })
`
)

file(
  `${app}/src/seed.ts`,
  `
/**
 * ${Domain}'s demo data for \`pnpm seed\` (see \`App.SeedContext\`): a welcome item, created through
 * the contracts over HTTP as the \`seed-bot\` admin. Running it again changes nothing.
 */
import * as ContractApi from "@tessera/contract-kit/ContractApi"
import * as ContractClient from "@tessera/contract-kit/ContractClient"
import type { SeedContext } from "@tessera/contract-server/App"
import { catalog } from "@tessera/contracts/${name}/Catalog"
import { Effect } from "effect"
import { FetchHttpClient } from "effect/http"

const Api = ContractApi.make("${name}", catalog)

export const WELCOME = "Welcome item"

export const seed = (context: SeedContext) =>
  Effect.gen(function* () {
    const token = yield* context.token("seed-bot", ["admin"])
    const client = yield* ContractClient.make(Api, { token, baseUrl: context.baseUrl })
    const existing = yield* client.${name}["${name}.item.list"]({ payload: {} })
    if (existing.items.some((item) => item.name === WELCOME)) return []
    yield* client.${name}["${name}.item.create"]({ payload: { name: WELCOME }, headers: {} })
    return [\`${Domain}: created the item "\${WELCOME}".\`]
  }).pipe(Effect.provide(FetchHttpClient.layer))
`
)

// Tests ------------------------------------------------------------------------------------------

file(
  `${app}/test/support/${Domain}TestLayer.ts`,
  `
/**
 * ${Domain} served in-process on a random port against a fresh database, with the dispatcher's
 * real outbox, its consumer running and Tessera's registry (\`@tessera/test-kit/AppTest\`): what the
 * tests and the acceptance examples call through the derived client. \`WithServices\` adds the
 * app's repositories for tests that read them directly.
 */
import type { Principal } from "@tessera/contract-kit/Contract"
import * as ContractApi from "@tessera/contract-kit/ContractApi"
import { catalog } from "@tessera/contracts/${name}/Catalog"
import * as AppTest from "@tessera/test-kit/AppTest"
import { Layer } from "effect"
import * as ${Domain}App from "../../src/${Domain}App.ts"

export const auth = AppTest.auth
export const ${Domain}Api = ContractApi.make("${name}", catalog)

export const ${Domain}TestLayer = AppTest.layer([${Domain}App.${Domain}App], { workers: true })

/** The app with its services at hand. */
export const WithServices = ${Domain}App.services.pipe(Layer.provideMerge(${Domain}TestLayer))

/** A client calling as \`principal\` (anonymous when omitted). */
export const clientAs = (principal?: Principal) => AppTest.client(${Domain}Api, principal)

/** The events the dispatcher stored for an organization, in publish order. */
export const storedEvents = AppTest.storedEvents
`
)

file(
  `${app}/test/${Domain}Api.test.ts`,
  `
/**
 * Every ${name} operation through real HTTP and the derived client, on real Postgres with the
 * dispatcher's outbox: one test per acceptance scenario (named by its key), the events each call
 * stores, and tenancy.
 */
import { assert, layer } from "@effect/vitest"
import type { Principal } from "@tessera/contract-kit/Contract"
import { Effect } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { ${Domain}TestLayer, clientAs, storedEvents } from "./support/${Domain}TestLayer.ts"

const ada: Principal = { userId: "ada", organizationId: "org_a", roles: [] }
const bea: Principal = { userId: "bea", organizationId: "org_b", roles: [] }

layer(${Domain}TestLayer, { excludeTestServices: true })("${name} over HTTP", (it) => {
  it.effect("create-item-happy-path: the item is created by the caller and ${name}.item.created is stored", () =>
    Effect.gen(function* () {
      const client = yield* clientAs(ada)
      const item = yield* client.${name}["${name}.item.create"]({ payload: { name: "  First   item " }, headers: {} })
      assert.strictEqual(item.name, "First item", "stored trimmed, inner spaces as one")
      assert.strictEqual(item.createdBy, "ada")
      assert.match(item.id, /^item_/)
      const stored = yield* storedEvents("org_a")
      assert.deepStrictEqual(
        stored.map((event) => [event.event_type, event.subject_id, event.payload]),
        [["${name}.item.created", item.id, { itemId: item.id, name: "First item", createdBy: "ada" }]]
      )
    })
  )

  it.effect("create-item-duplicate-name: 409 ITEM_NAME_TAKEN, ignoring case, and no event", () =>
    Effect.gen(function* () {
      const client = yield* clientAs({ ...ada, organizationId: "org_dup" })
      yield* client.${name}["${name}.item.create"]({ payload: { name: "First item" }, headers: {} })
      const refused = yield* client.${name}["${name}.item.create"]({ payload: { name: "first ITEM" }, headers: {} }).pipe(
        Effect.flip
      )
      assert.strictEqual(refused._tag, "ItemNameTaken")
      assert.strictEqual((yield* storedEvents("org_dup")).length, 1)
    })
  )

  it.effect("list-items-of-own-organization: each organization sees its own items only", () =>
    Effect.gen(function* () {
      const adaClient = yield* clientAs({ ...ada, organizationId: "org_list_a" })
      const beaClient = yield* clientAs({ ...bea, organizationId: "org_list_b" })
      yield* adaClient.${name}["${name}.item.create"]({ payload: { name: "Shared name" }, headers: {} })
      yield* beaClient.${name}["${name}.item.create"]({ payload: { name: "Shared name" }, headers: {} })
      const listed = yield* adaClient.${name}["${name}.item.list"]({ payload: {} })
      assert.deepStrictEqual(
        listed.items.map((item) => [item.name, item.createdBy]),
        [["Shared name", "ada"]]
      )
    })
  )

  it.effect("an anonymous caller is refused with 401", () =>
    Effect.gen(function* () {
      const http = yield* HttpClient.HttpClient
      const response = yield* http.execute(
        HttpClientRequest.post("/${name}/item/list").pipe(HttpClientRequest.bodyJsonUnsafe({}))
      )
      assert.strictEqual(response.status, 401)
    })
  )
})
`
)

file(
  `${app}/test/AcceptanceExamples.test.ts`,
  `
/**
 * Every example of every ${name} contract, run as written against the real app: the state the
 * example presumes is put in place (with the example's own ids), its input is sent over HTTP, and
 * the answer must equal its output — except what the server generates (new ids, timestamps of
 * now), which must have the right form.
 */
import { assert, layer } from "@effect/vitest"
import { catalog } from "@tessera/contracts/${name}/Catalog"
import * as Examples from "@tessera/test-kit/Examples"
import { Effect } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql"
import { ${Domain}TestLayer, auth } from "./support/${Domain}TestLayer.ts"

type World = "item"

/** What each example presumes exists, by example key. */
const given: Record<string, ReadonlyArray<World>> = {
  "create-first-item": [],
  "list-one-item": ["item"]
}

const CREATED = "2025-01-20T09:00:00.000Z"

const build = (organizationId: string, parts: ReadonlyArray<World>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    if (parts.includes("item")) {
      yield* sql\`INSERT INTO ${name}.items (organization_id, id, name, created_by, created_at)
                 VALUES (\${organizationId}, 'item_1', 'First item', 'user-1', \${CREATED})\`
    }
  })

/** What the server generates (timestamps of now, new ids) is replaced by the example's values. */
const normalize = Examples.normalizer({ ids: Examples.generatedId(["item"]) })

const examples = Examples.examplesOf(catalog)

layer(${Domain}TestLayer, { excludeTestServices: true })("every ${name} example, as written", (it) => {
  it("covers every contract with at least one example and one scenario", () => {
    for (const contract of catalog) {
      assert.isAbove(contract.acceptance.examples.length, 0, \`\${contract.key} has no example\`)
      assert.isAbove(contract.acceptance.scenarios.length, 0, \`\${contract.key} has no scenario\`)
      for (const example of contract.acceptance.examples) {
        assert.isDefined(given[example.key], \`\${contract.key}: example \${example.key} has no given state here\`)
      }
    }
  })

  examples.forEach(({ contract, example }, index) => {
    it.effect(\`\${contract.key}: \${example.key}\`, () =>
      Effect.gen(function* () {
        const organizationId = \`org_example_\${index}\`
        yield* build(organizationId, given[example.key] ?? [])
        const token = yield* auth.mint({ userId: "user-1", organizationId, roles: ["admin"] })
        const http = yield* HttpClient.HttpClient
        const response = yield* http.execute(
          HttpClientRequest.post(contract.http.path).pipe(
            HttpClientRequest.bodyJsonUnsafe(example.input),
            HttpClientRequest.bearerToken(token)
          )
        )
        const body = yield* response.json
        assert.strictEqual(response.status, 200, JSON.stringify(body))
        assert.deepStrictEqual(normalize(body, example.output), example.output)
      })
    )
  })
})
`
)

file(
  `${app}/test/ScenarioCoverage.test.ts`,
  `
/**
 * Every acceptance scenario of every ${name} contract has a test that names it (by its key, in a
 * test title), so a scenario added to a contract without a test fails here.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Acceptance from "@tessera/contract-kit/Acceptance"
import { catalog } from "@tessera/contracts/${name}/Catalog"

describe("acceptance scenarios", () => {
  it("each ${name} scenario key is named by a test", () => {
    assert.deepStrictEqual(Acceptance.uncovered(catalog, import.meta.dirname), [])
  })
})
`
)

file(
  `${app}/test/Catalog.test.ts`,
  `
/**
 * The ${name} catalog as a whole: valid (keys in the domain, unique codes, examples that decode,
 * emitted events produced by \`${name}\`), every contract implemented exactly once, its events
 * registered with \`${name}\` as their producer, and its consumer fitting the event registry.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Catalog from "@tessera/contract-kit/Catalog"
import { catalog } from "@tessera/contracts/${name}/Catalog"
import { registry } from "@tessera/contracts/registry"
import * as Consumer from "@tessera/dispatcher/Consumer"
import { Effect } from "effect"
import { ContactConsumer } from "../src/consumers/ContactConsumer.ts"
import * as ${Domain}App from "../src/${Domain}App.ts"

describe("${name} catalog", () => {
  it.effect("validates as the server validates it at boot", () =>
    Catalog.validate(catalog, { domain: ${Domain}App.DOMAIN, events: ${Domain}App.events })
  )

  it("every contract is implemented, once", () => {
    assert.deepStrictEqual(
      ${Domain}App.catalog.map((implementation) => implementation.contract),
      [...catalog]
    )
  })

  it("the ${name}.contacts consumer fits the event registry", () => {
    assert.deepStrictEqual(Consumer.check(ContactConsumer, registry), [])
  })

  it.effect("the ${name} events are registered with ${name} as their producer", () =>
    Effect.sync(() => {
      for (const event of ${Domain}App.events) {
        assert.strictEqual(registry.events[event.type]?.producer, "${name}", event.type)
      }
    })
  )
})
`
)

file(
  `${app}/test/ContactConsumer.test.ts`,
  `
/**
 * The \`${name}.contacts\` consumer behind the real dispatcher: the CRM publishes \`contact.created\`
 * through the outbox (as its handler does, in a transaction), the app's worker delivers it, and the
 * contact is recorded once for its organization.
 */
import { assert, layer } from "@effect/vitest"
import { ContactCreated } from "@tessera/contracts/crm/Events"
import { EventSink } from "@tessera/envelope/EventSink"
import * as Payload from "@tessera/envelope/Payload"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { KnownContactRepository } from "../src/repositories/KnownContactRepository.ts"
import { WithServices } from "./support/${Domain}TestLayer.ts"

/** What the CRM's \`crm.contact.create\` does: publish in its transaction. */
const crmCreatesContact = (organizationId: string, contactId: string) =>
  Effect.gen(function* () {
    const payload = yield* Payload.decode(ContactCreated, { contactId, companyId: null, ownerId: "ada" })
    const sql = yield* SqlClient.SqlClient
    const sink = yield* EventSink
    yield* sql.withTransaction(
      sink.publish([{ definition: ContactCreated, payload }], {
        producer: "crm",
        organizationId,
        actor: { type: "user", id: "ada" },
        correlationId: \`corr_\${contactId}\`
      })
    )
  })

/** Polls until \`check\` holds; fails after 20 s. */
const eventually = <E, R>(what: string, check: Effect.Effect<boolean, E, R>) =>
  Effect.gen(function* () {
    const deadline = Date.now() + 20_000
    for (;;) {
      if (yield* check) return
      if (Date.now() > deadline) return yield* Effect.fail(\`timed out waiting for: \${what}\`)
      yield* Effect.sleep("50 millis")
    }
  })

const known = (organizationId: string) =>
  Effect.flatMap(KnownContactRepository, (contacts) => contacts.list(organizationId))

layer(WithServices, { excludeTestServices: true })("${name}.contacts", (it) => {
  it.effect("records a contact the CRM created, once, in its organization only", () =>
    Effect.gen(function* () {
      yield* crmCreatesContact("org_c", "contact_1")
      yield* eventually(
        "contact_1 to be known",
        Effect.map(known("org_c"), (contacts) => contacts.length === 1)
      )
      // A second event about the same contact changes nothing.
      yield* crmCreatesContact("org_c", "contact_1")
      yield* crmCreatesContact("org_c", "contact_2")
      yield* eventually(
        "contact_2 to be known",
        Effect.map(known("org_c"), (contacts) => contacts.length === 2)
      )
      assert.deepStrictEqual(
        (yield* known("org_c")).map((contact) => [contact.contactId, contact.ownerId]),
        [
          ["contact_1", "ada"],
          ["contact_2", "ada"]
        ]
      )
      assert.deepStrictEqual(yield* known("org_other"), [])
    })
  )
})
`
)

file(
  `${app}/test/ItemNames.test.ts`,
  `
/**
 * The item name rule, pure: examples and properties.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { normalizeName } from "../src/domain/ItemNames.ts"

describe("normalizeName", () => {
  it("trims and keeps one space between words", () => {
    assert.strictEqual(normalizeName("  First \\t  item \\n"), "First item")
  })

  it("is idempotent and never leaves two spaces in a row", () => {
    fc.assert(
      fc.property(fc.string(), (name) => {
        const once = normalizeName(name)
        return normalizeName(once) === once && !/\\s\\s/.test(once) && once === once.trim()
      })
    )
  })
})
`
)

// The stack's test across domains (docs/testing.md, "Generator template"): it names the flow
// declared in flows.ts above. Clients and catalogs go by property, never as bare identifiers
// (a domain name may be a JavaScript keyword).
file(
  `apps/stack/test/${Domain}.flows.test.ts`,
  `
/**
 * ${Domain} across domains, on the test kit (docs/testing.md): the CRM and ${Domain} on one database
 * with the real outbox and dispatcher workers, in one process and with each app as its own
 * \`main.ts\` (from \`src/Mains.ts\`); \`TESSERA_TEST_MODE\` picks one. The flow it names is declared in
 * \`packages/contracts/src/flows.ts\`. Generated by \`pnpm new:domain ${name}\`: grow it with the domain.
 */
import { assert } from "@effect/vitest"
import { catalog as crmCatalog } from "@tessera/contracts/crm/Catalog"
import { catalog as ${name}Catalog } from "@tessera/contracts/${name}/Catalog"
import * as StackTest from "@tessera/test-kit/StackTest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { mains } from "../src/Mains.ts"
import * as Stack from "../src/Stack.ts"

/** The CRM contacts ${Domain} knows of, as [contact, owner] (its own table: no contract reads it yet). */
const knownContacts = (organizationId: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ contactId: string; ownerId: string }>\`
      SELECT contact_id AS "contactId", owner_id AS "ownerId" FROM ${name}.known_contacts
      WHERE organization_id = \${organizationId} ORDER BY contact_id\`
    return rows.map((row) => [row.contactId, row.ownerId])
  }).pipe(Effect.orDie)

for (const mode of StackTest.modes()) {
  const stack = StackTest.make({
    apps: Stack.apps,
    domains: ["crm", "${name}"],
    mains,
    catalogs: { crm: crmCatalog, ${name}: ${name}Catalog },
    mode
  })

  stack.describe(\`${name} across domains (\${mode})\`, (it) => {
    it.effect("flow ${flowKey}: a contact created in the CRM is known to ${Domain}, once", () =>
      Effect.gen(function* () {
        const c = yield* stack.clients(
          { userId: "ada", organizationId: "acme", roles: ["admin"] },
          { correlationId: "${name}-crm-contact" }
        )
        const contact = yield* c.crm["crm.contact.create"]({ payload: { firstName: "Ada", lastName: "Lovelace" } })
        yield* stack.settle()

        const chain = yield* stack.chain("${name}-crm-contact")
        const created = chain.roots.find((node) => node.event.type === "contact.created")
        assert.include(created?.handledBy ?? [], "${name}.contacts", chain.text)
        assert.deepStrictEqual(yield* knownContacts("acme"), [[contact.id, "ada"]])
        assert.deepStrictEqual(yield* knownContacts("globex"), [])

        // At-least-once delivery on purpose: the organization's contact.created again changes nothing.
        yield* stack.faults.redeliver("${name}.contacts", { organizationId: "acme" })
        yield* stack.settle()
        assert.deepStrictEqual(yield* knownContacts("acme"), [[contact.id, "ada"]])
      })
    )

    it.effect("${name}.item.create publishes ${name}.item.created and every consumer of it handles it", () =>
      Effect.gen(function* () {
        const c = yield* stack.clients({ userId: "bea", organizationId: "globex", roles: ["admin"] })
        const created = yield* c.${name}["${name}.item.create"]({ payload: { name: "First" }, headers: {} })
        yield* stack.settle()
        const events = yield* stack.events({ organizationId: "globex", subject: \`item:\${created.id}\` })
        assert.deepStrictEqual(
          events.map((event) => event.type),
          ["${name}.item.created"]
        )
      })
    )
  })
}
`
)

// ---------------------------------------------------------------------------------------------
// Write, then link, generate and format.

for (const [relative, content] of files) {
  Fs.mkdirSync(Path.dirname(at(relative)), { recursive: true })
  Fs.writeFileSync(at(relative), content)
}
for (const [relative, content] of edits) Fs.writeFileSync(at(relative), content)

const run = (command, commandArgs) => {
  process.stdout.write(`new:domain: ${command} ${commandArgs.join(" ")}\n`)
  execFileSync(command, commandArgs, { cwd: root, stdio: "inherit" })
}

if (!skipInstall) run("pnpm", ["install", "--prefer-offline", "--no-frozen-lockfile"])
run("pnpm", ["--filter", "@tessera/contracts", "generate"])
run("pnpm", [
  "exec",
  "biome",
  "check",
  "--write",
  "--no-errors-on-unmatched",
  ...[...files.keys(), ...edits.keys()].filter((relative) => !relative.endsWith(".md"))
])

process.stdout.write(
  [
    "",
    `new:domain: created the ${name} domain (${files.size} new files, ${edits.size} shared files edited):`,
    `  contracts   packages/contracts/src/${name}/ (+ exports, registry, docs catalog)`,
    `  app         apps/${name}/ (port ${port})`,
    "  mounted     apps/stack/src/Stack.ts (apps), apps/stack/package.json",
    `  flow        ${flowKey} in packages/contracts/src/flows.ts (+ docs/flows.md), tested by apps/stack/test/${Domain}.flows.test.ts`,
    "",
    "Next:",
    `  cd apps/${name} && pnpm typecheck && pnpm lint && pnpm test`,
    `  cd apps/stack && pnpm exec vitest run test/${Domain}.flows.test.ts test/FlowCoverage.test.ts test/TestingDocs.test.ts`,
    `  pnpm --filter @tessera/${name} start`,
    "  read docs/app-shape.md, then rename Item to what your domain holds",
    ""
  ].join("\n")
)
