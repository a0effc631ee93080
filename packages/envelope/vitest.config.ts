import { tesseraConfig } from "@tessera/test-harness/vitest"

// Pure package: no PostgreSQL needed.
export default tesseraConfig({ database: false })
