import * as AppProcess from "@tessera/contract-kit/AppProcess"
import * as Stack from "./Stack.ts"

AppProcess.main(Stack.options)
