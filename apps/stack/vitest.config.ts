import { tesseraConfig } from "@tessera/test-harness/vitest"

// These tests start whole Tessera processes that talk through Postgres: on a loaded two-core CI
// machine that takes far longer than on a quiet one. A bound, not a timing assertion.
export default tesseraConfig({ testTimeout: 180_000 })
