/**
 * Ignition reads, for every contract a deployment creates, that contract's whole solc build info (the compiler input and
 * output of its compilation job: 7-18 MB of JSON here) and parses it, only to store it with the deployment; an
 * in-memory deployment (`ignition.deploy` in a test) then drops it. The suite is deployed by many fixtures, so this cost
 * ~3 s of CPU per deployment. Here each build-info file is read and parsed once per process and shared: the content is
 * the same, the file cannot change while the tests run (nothing compiles then), and an in-memory deployment never writes
 * it anywhere. Imported for its effect by the fixtures that deploy through Ignition.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { HardhatArtifactResolver } from "@nomicfoundation/hardhat-ignition/helpers";

interface Resolver {
  getBuildInfo(contractName: string): Promise<unknown>;
  /** Hardhat Ignition's own lookup of a contract's artifact file by its (unique) name. */
  _resolvePath?(contractName: string): Promise<string | undefined>;
}

const resolver = HardhatArtifactResolver.prototype as unknown as Resolver;
const original = resolver.getBuildInfo;
const byFile = new Map<string, Promise<unknown>>();

const resolvePath = resolver._resolvePath;

if (typeof resolvePath === "function") {
  resolver.getBuildInfo = async function (this: Resolver, contractName: string): Promise<unknown> {
    // A fully qualified name goes through Hardhat's artifacts, as in the original.
    if (contractName.includes(":")) return original.call(this, contractName);
    const artifactPath = await resolvePath.call(this, contractName);
    if (artifactPath === undefined) return original.call(this, contractName); // the original reports the error
    const debug = JSON.parse(await readFile(artifactPath.replace(/\.json$/, ".dbg.json"), "utf8")) as {
      buildInfo: string;
    };
    const file = path.resolve(path.dirname(artifactPath), debug.buildInfo);
    let buildInfo = byFile.get(file);
    if (buildInfo === undefined) {
      buildInfo = readFile(file, "utf8").then((text) => JSON.parse(text) as unknown);
      byFile.set(file, buildInfo);
    }
    return buildInfo;
  };
}
