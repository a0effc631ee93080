import { tesseraConfig } from "@tessera/test-harness/vitest"

export default tesseraConfig()
