import { NodeRuntime } from "@effect/platform-node"
import * as Stack from "./Stack.ts"

NodeRuntime.runMain(Stack.main, { disableErrorReporting: true })
