/**
 * The folder file connections live in (`TESSERA_INTEGRATION_FILES`, default
 * `.data/integration-files` under the working directory). A connection's path is relative to it
 * and cannot leave it (the contract refuses `..` and absolute paths; this checks again).
 */
import * as NodePath from "node:path"
import { Config, Context, Effect, Layer } from "effect"

export class FileRoot extends Context.Service<
  FileRoot,
  { readonly root: string; readonly resolve: (relative: string) => Effect.Effect<string> }
>()("@tessera/integration-hub/FileRoot") {
  static readonly make = (root: string) => {
    const absolute = NodePath.resolve(root)
    return FileRoot.of({
      root: absolute,
      resolve: (relative) => {
        const resolved = NodePath.resolve(absolute, relative)
        return resolved.startsWith(`${absolute}${NodePath.sep}`)
          ? Effect.succeed(resolved)
          : Effect.die(`the path ${relative} leaves the file folder`)
      }
    })
  }

  static readonly layer = Layer.effect(
    FileRoot,
    Effect.map(
      Config.String("TESSERA_INTEGRATION_FILES").pipe(
        Config.withDefault(NodePath.join(process.cwd(), ".data", "integration-files"))
      ),
      FileRoot.make
    )
  )
}
