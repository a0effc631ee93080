#!/usr/bin/env node
// Builds Studio into dist/ when its sources changed since the last build (or always with --force).
// `npm start` runs it before the stack, CI and the browser test too. The stamp in dist/ is a hash
// of every source file, so an unchanged tree costs one hash of a few files and no Vite start.
// Plain JavaScript: runs on the Node that runs scripts/tessera.mjs.
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const dist = join(root, "dist")
const stampFile = join(dist, ".source-hash")

const files = (path) =>
  statSync(path).isDirectory()
    ? readdirSync(path)
        .sort()
        .flatMap((name) => files(join(path, name)))
    : [path]

export const sourceHash = () => {
  const hash = createHash("sha256")
  for (const file of ["index.html", "vite.config.ts", "package.json", "src"].flatMap((p) => files(join(root, p)))) {
    hash.update(relative(root, file))
    hash.update(readFileSync(file))
  }
  return hash.digest("hex")
}

export const isCurrent = () =>
  existsSync(join(dist, "index.html")) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === sourceHash()

export const build = ({ force = false } = {}) => {
  if (!force && isCurrent()) return { built: false }
  const vite = join(root, "node_modules", ".bin", "vite")
  const result = spawnSync(vite, ["build"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] })
  if (result.status !== 0) return { built: false, error: `vite build failed (exit ${result.status})` }
  writeFileSync(stampFile, sourceHash())
  return { built: true }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now()
  const outcome = build({ force: process.argv.includes("--force") })
  if (outcome.error !== undefined) {
    process.stderr.write(`studio: ${outcome.error}\n`)
    process.exit(1)
  }
  process.stderr.write(
    outcome.built ? `studio: built dist/ in ${Date.now() - started} ms\n` : "studio: dist/ is current\n"
  )
}
