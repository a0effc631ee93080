import { tesseraConfig } from "./src/vitest.ts"

export default tesseraConfig()
