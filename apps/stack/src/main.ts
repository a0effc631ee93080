import * as AppProcess from "@tessera/contract-server/AppProcess"
import * as Stack from "./Stack.ts"

AppProcess.main(Stack.options)
