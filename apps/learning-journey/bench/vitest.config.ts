import { tesseraConfig } from "@tessera/test-harness/vitest"

// The benchmark runs under vitest for its PostgreSQL and fresh database; it prints figures and
// asserts none. Only the bench file, one worker.
const base = tesseraConfig({ testTimeout: 900_000 })

export default { ...base, test: { ...base.test, include: ["bench/**/*.bench-run.ts"], maxWorkers: 1 } }
