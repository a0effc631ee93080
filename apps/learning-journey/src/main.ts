import { NodeRuntime } from "@effect/platform-node"
import * as Standalone from "./Standalone.ts"

NodeRuntime.runMain(Standalone.main, { disableErrorReporting: true })
