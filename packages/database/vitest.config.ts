import { defineConfig } from "vitest/config"

// This package tests the embedded server itself, so it starts its own servers instead of using
// the shared harness in tooling/test-harness (which is built on this package).
export default defineConfig({
  test: { include: ["test/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 }
})
