/**
 * The shared Vitest configuration: every package's `vitest.config.ts` is
 * `export default tesseraConfig(import.meta.dirname)`.
 */
import { fileURLToPath } from "node:url"
import { defineConfig, type ViteUserConfig } from "vitest/config"

const globalSetup = fileURLToPath(new URL("./globalSetup.ts", import.meta.url))

export interface TesseraConfigOptions {
  /** Start a PostgreSQL for the run (default true). Pure packages turn it off. */
  readonly database?: boolean
  /** Per-test bound (default 30 s). Packages whose tests start processes raise it. */
  readonly testTimeout?: number
}

export const tesseraConfig = (options: TesseraConfigOptions = {}): ViteUserConfig =>
  defineConfig({
    test: {
      include: ["test/**/*.test.ts"],
      globalSetup: options.database === false ? [] : [globalSetup],
      testTimeout: options.testTimeout ?? 30_000,
      hookTimeout: 60_000,
      // Database tests open pools and child processes: keep a worker per core.
      maxWorkers: 2
    }
  })
