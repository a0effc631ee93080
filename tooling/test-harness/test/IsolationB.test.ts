import { layer } from "@effect/vitest"
import * as TestDatabase from "../src/TestDatabase.ts"
import { isolationTest } from "./isolation.ts"

layer(TestDatabase.layer())("a test file's database (B)", (it) => {
  isolationTest(it, "file B")
})
