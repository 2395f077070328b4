/** The version `roamledger --version` prints: the CLI package's own, read from its package.json at run time. */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/** The package the CLI ships in. */
export const PACKAGE_NAME = "@roamledger/cli";

function versionIn(file: string): string | undefined {
  try {
    const json = JSON.parse(readFileSync(file, "utf8")) as { name?: unknown; version?: unknown };
    return json.name === PACKAGE_NAME && typeof json.version === "string" ? json.version : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The package's version: the first package.json named {@link PACKAGE_NAME} above this module (`cli/src` from the
 * sources, `dist` once built), else the one Node resolves (`@roamledger/cli/package.json`); "unknown" if none.
 */
export function cliVersion(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    const version = existsSync(file) ? versionIn(file) : undefined;
    if (version !== undefined) return version;
    if (path.dirname(dir) === dir) break;
  }
  try {
    return versionIn(require.resolve(`${PACKAGE_NAME}/package.json`)) ?? "unknown";
  } catch {
    return "unknown";
  }
}
