/**
 * Start-up of the `roamledger` bin: the SDK (ethers and every TypeChain factory) is most of a run's start-up CPU, and
 * `--help` or a refused flag never needs it. {@link deferHeavyModules} makes the CLI's own `require`s of the SDK, of
 * ethers and of `journal` (whose signer extends ethers' `AbstractSigner`) return a stand-in that loads the real module
 * at its first use: the commands compile to `sdk_1.ClearingClient` property reads at call time, so registering them
 * (and printing help) loads none of it. Only the bin installs it; importing the package (`main`) loads as usual. No
 * CLI module may use these modules' values at load time (class `extends`, top-level tables): see
 * test/cli/startup.test.ts.
 */
import Module from "node:module";
import path from "node:path";

/** Modules loaded on first use, by request (as the CLI's sources name them). */
export const DEFERRED = new Set(["@roamledger/sdk", "@roamledger/sdk/node", "ethers", "./journal", "../journal"]);

type Load = (request: string, parent: NodeJS.Module | undefined, isMain: boolean) => unknown;

/** Installs the deferral for modules required from files under `dir` (the CLI's build). Returns an uninstaller. */
export function deferHeavyModules(dir: string, loaded: (request: string) => void = () => undefined): () => void {
  const internal = Module as unknown as { _load: Load };
  const original = internal._load;
  const root = path.resolve(dir) + path.sep;
  internal._load = function (this: unknown, request, parent, isMain) {
    if (!DEFERRED.has(request) || parent?.filename === undefined || !parent.filename.startsWith(root)) {
      return original.call(this, request, parent, isMain);
    }
    let real: Record<PropertyKey, unknown> | undefined;
    const load = () => {
      if (real === undefined) {
        real = original.call(this, request, parent, isMain) as Record<PropertyKey, unknown>;
        loaded(request);
      }
      return real;
    };
    return new Proxy(
      {},
      {
        get: (_target, key) => (key === "__esModule" ? true : load()[key]),
        has: (_target, key) => key in load(),
        ownKeys: () => Reflect.ownKeys(load()),
        getOwnPropertyDescriptor: (_target, key) => {
          const descriptor = Reflect.getOwnPropertyDescriptor(load(), key);
          return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
        },
      },
    );
  };
  return () => {
    internal._load = original;
  };
}
