import { expect } from "chai";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { PlanKind, rate, Service } from "../../sdk/src/rating";
import { distIsStale } from "../cli/helpers";
import { describeUnlessCoverage } from "../helpers/gas";
import { ROOT, runProcess, stopAllProcesses } from "../helpers/processes";

/**
 * The two packages as an app gets them: `npm pack` of `@roamledger/sdk` and `@roamledger/cli`, both installed offline
 * (from npm's cache: nothing is downloaded) into a throwaway app with ethers and viem, then
 * - the tarballs' contents checked (README, LICENSE, builds; no sources, source maps, test mocks' bindings);
 * - scripts type-checked with the app's own `tsconfig` in three module setups (ESM with `nodenext` resolution, ESM
 *   with `bundler` resolution, CommonJS with `nodenext`), each using the SDK with ethers and with viem, compiled and
 *   run with Node, their output asserted;
 * - the README's SDK examples type-checked as ESM in the app (the ethers they pass is the app's own: one ethers);
 * - the viem and pure entry points run without ethers (unresolvable under a loader hook), as ESM and CommonJS;
 * - the CLI run from the app's `node_modules/.bin`.
 */

const TSC = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
const NPM_CLI = process.env.npm_execpath?.endsWith("npm-cli.js") ? process.env.npm_execpath : undefined;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function run(command: string, args: string[], cwd: string): Promise<Run> {
  const result = await runProcess(command, args, { cwd, env: { ...process.env, npm_config_update_notifier: "false" } });
  const error = result.error === undefined ? "" : String(result.error);
  return { code: result.error === undefined ? result.code : -1, stdout: result.stdout, stderr: result.stderr + error };
}

function expectSuccess(result: Run, what: string): string {
  if (result.code !== 0) {
    expect.fail(`${what} exited with ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  }
  return result.stdout;
}

/** npm itself, as the running npm does (`npm test`), else from PATH. */
const npm = (args: string[], cwd: string): Promise<Run> =>
  NPM_CLI === undefined ? run("npm", args, cwd) : run(process.execPath, [NPM_CLI, ...args], cwd);

type LockEntry = Record<string, unknown> & {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  link?: boolean;
};

/**
 * The app's package-lock.json, so that `npm ci --offline` installs it from npm's cache alone (an install without a
 * lockfile would ask the registry for each package's metadata): the two tarballs, and for every other package the
 * repository's own lock entry (same version and integrity), found where Node's resolution finds it from its dependent
 * in the repository's tree (`sdk/node_modules/x` becomes `node_modules/@roamledger/sdk/node_modules/x`).
 */
function appLockfile(
  rootLock: { packages: Record<string, LockEntry> },
  app: { dependencies: Record<string, string> },
  packs: Record<"sdk" | "cli", { spec: string; integrity: string; manifest: LockEntry }>,
): Record<string, unknown> {
  const source = rootLock.packages;
  const packages: Record<string, LockEntry> = { "": { name: "app", dependencies: app.dependencies } };
  const workspaceOf: Record<string, "sdk" | "cli"> = { "@roamledger/sdk": "sdk", "@roamledger/cli": "cli" };
  const appPath = (lockPath: string): string =>
    lockPath.replace(/^(sdk|cli)\//, (_m, w: string) => `node_modules/@roamledger/${w}/`);
  const resolveFrom = (from: string, name: string): string | undefined => {
    for (let dir = from; ;) {
      const candidate = dir === "" ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
      if (source[candidate] !== undefined) return candidate;
      if (dir === "") return undefined;
      const up = dir.lastIndexOf("/node_modules/");
      dir = up === -1 ? "" : dir.slice(0, up);
    }
  };
  const queue: [string, string][] = [];
  const requires = (entry: LockEntry): string[] => [
    ...Object.keys(entry.dependencies ?? {}),
    ...Object.keys(entry.optionalDependencies ?? {}),
    ...Object.keys(entry.peerDependencies ?? {}).filter((n) => entry.peerDependenciesMeta?.[n]?.optional !== true),
  ];
  for (const w of ["sdk", "cli"] as const) {
    const { spec, integrity, manifest } = packs[w];
    packages[`node_modules/@roamledger/${w}`] = { ...manifest, resolved: spec, integrity };
    for (const name of requires(manifest)) if (workspaceOf[name] === undefined) queue.push([w, name]);
  }
  for (const name of Object.keys(app.dependencies)) if (workspaceOf[name] === undefined) queue.push(["", name]);
  while (queue.length > 0) {
    const [from, name] = queue.pop()!;
    const found = resolveFrom(from, name);
    if (found === undefined) throw new Error(`${name} (needed by ${from || "the app"}) is not in package-lock.json`);
    if (packages[appPath(found)] !== undefined) continue;
    const entry = { ...source[found] };
    for (const flag of ["dev", "devOptional", "peer"]) delete entry[flag];
    packages[appPath(found)] = entry;
    for (const dependency of requires(entry)) {
      // an optional dependency the repository's platform did not install is left out here too
      const optional = entry.optionalDependencies?.[dependency] !== undefined;
      if (!optional || resolveFrom(found, dependency) !== undefined) queue.push([found, dependency]);
    }
  }
  return { name: "app", lockfileVersion: 3, requires: true, packages };
}

const ADDRESSES = {
  manager: "0x0000000000000000000000000000000000000001",
  registry: "0x0000000000000000000000000000000000000002",
  agreements: "0x0000000000000000000000000000000000000003",
  vault: "0x0000000000000000000000000000000000000004",
  clearing: "0x0000000000000000000000000000000000000005",
  settlement: "0x0000000000000000000000000000000000000006",
  capacity: "0x0000000000000000000000000000000000000007",
  market: "0x0000000000000000000000000000000000000008",
};

/**
 * The body every app script runs, whatever its module setup: rating (pure), a vault transaction built with the ethers
 * client (given the app's own provider, which must type-check), and the same contracts reached through viem. It
 * prints one JSON line.
 */
const SCRIPT_BODY = `
const plan: ServicePlan = {
  service: Service.Data,
  kind: PlanKind.Threshold,
  increment: 1_000n,
  tiers: [{ start: 0n, fixedPrice: 0n, linearPrice: 10n ** 15n }],
  unbalancedTiers: [],
};
const charge = rate(plan, 2_500_000n, 0n, 6);
const provider = new JsonRpcProvider("http://127.0.0.1:9", undefined, { staticNetwork: true });
const vault = new VaultClient("${ADDRESSES.vault}", provider);
const built = vault.build.withdraw(7n, "0x00000000000000000000000000000000000000aa", 1_000_000n);
const client = createPublicClient({ transport: http("http://127.0.0.1:9") });
const contracts = getRoamLedgerContracts({ client, addresses: ${JSON.stringify(ADDRESSES)} });
const request = toViemRequest(built);
provider.destroy();
console.log(JSON.stringify({
  charge: charge.toString(),
  to: built.to,
  selector: built.data.slice(0, 10),
  viemRegistry: contracts.registry.address,
  viemTo: request.to,
}));
`;

const IMPORTS = {
  ethers: ["JsonRpcProvider"],
  sdk: ["rate", "PlanKind", "Service", "VaultClient", "type ServicePlan"],
  viem: ["createPublicClient", "http"],
  sdkViem: ["getRoamLedgerContracts", "toViemRequest"],
};

const esmScript = (): string =>
  `import { ${IMPORTS.ethers.join(", ")} } from "ethers";\n` +
  `import { ${IMPORTS.sdk.join(", ")} } from "@roamledger/sdk";\n` +
  `import { ${IMPORTS.viem.join(", ")} } from "viem";\n` +
  `import { ${IMPORTS.sdkViem.join(", ")} } from "@roamledger/sdk/viem";\n` +
  SCRIPT_BODY;

const cjsScript = (): string =>
  `import ethers = require("ethers");\n` +
  `import sdk = require("@roamledger/sdk");\n` +
  `import viem = require("viem");\n` +
  `import sdkViem = require("@roamledger/sdk/viem");\n` +
  `const { ${IMPORTS.ethers.join(", ")} } = ethers;\n` +
  `const { ${IMPORTS.sdk.filter((n) => !n.startsWith("type ")).join(", ")} } = sdk;\n` +
  `type ServicePlan = sdk.ServicePlan;\n` +
  `const { ${IMPORTS.viem.join(", ")} } = viem;\n` +
  `const { ${IMPORTS.sdkViem.join(", ")} } = sdkViem;\n` +
  SCRIPT_BODY;

/** The README's ts examples of "Using the SDK", each a module of its own; their free variables declared. */
async function readmeExamples(): Promise<string[]> {
  const readme = await readFile(path.join(ROOT, "README.md"), "utf8");
  const section = readme.slice(
    readme.indexOf("## Using the SDK"),
    readme.indexOf("\n## ", readme.indexOf("## Using the SDK") + 1),
  );
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks.length, "ts examples in the README's 'Using the SDK'").to.be.greaterThanOrEqual(3);
  // The inputs the examples take from the reader's own code (values only: every type comes from the packages).
  const free = ["url", "usdc", "suite", "csvBytes", "agreementId", "sharedSecret", "validFrom", "periodLength"];
  const freeTyped = ["tariff", "periodStart", "periodEnd", "baseTariff", "fileHash"];
  return blocks.map((block) => {
    const declared = (name: string) => new RegExp(`\\b(const|let|var)\\s+${name}\\b`).test(block);
    const inputs = [...free, ...freeTyped].filter((name) => !declared(name));
    return `${inputs.map((name) => `declare const ${name}: any;`).join("\n")}\n${block}\nexport {};\n`;
  });
}

describeUnlessCoverage("packages as an app installs them (npm pack, offline install, ESM and CommonJS)", function () {
  let temp: string;
  let app: string;
  const tarballs: Record<"sdk" | "cli", { file: string; files: string[]; integrity: string }> = {} as never;

  before(async function () {
    // `npm test` builds both packages first; a run on its own rebuilds what changed since.
    if (await distIsStale("sdk")) expectSuccess(await run(process.execPath, ["sdk/build.mjs"], ROOT), "SDK build");
    if (await distIsStale("cli")) {
      expectSuccess(await run(process.execPath, [TSC, "-p", "cli/tsconfig.build.json"], ROOT), "CLI build");
    }
    temp = await mkdtemp(path.join(tmpdir(), "roamledger-package-"));
    const packed = JSON.parse(
      expectSuccess(
        await npm(["pack", "--json", "--pack-destination", temp, "--workspace", "sdk", "--workspace", "cli"], ROOT),
        "npm pack",
      ),
    ) as { name: string; filename: string; integrity: string; files: { path: string }[] }[];
    for (const p of packed) {
      const key = p.name === "@roamledger/sdk" ? "sdk" : "cli";
      tarballs[key] = { file: path.join(temp, p.filename), files: p.files.map((f) => f.path), integrity: p.integrity };
    }

    app = path.join(temp, "app");
    await mkdir(app);
    const versions = async (name: string) =>
      (JSON.parse(await readFile(path.join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string })
        .version;
    const appPackage = {
      name: "app",
      private: true,
      dependencies: {
        "@roamledger/sdk": `file:${tarballs.sdk.file}`,
        "@roamledger/cli": `file:${tarballs.cli.file}`,
        ethers: await versions("ethers"),
        viem: await versions("viem"),
      },
    };
    const packs = {} as Parameters<typeof appLockfile>[2];
    for (const w of ["sdk", "cli"] as const) {
      const manifest = JSON.parse(await readFile(path.join(ROOT, w, "package.json"), "utf8")) as LockEntry;
      const keep = ["version", "license", "dependencies", "peerDependencies", "peerDependenciesMeta", "bin", "engines"];
      packs[w] = {
        spec: `file:${tarballs[w].file}`,
        integrity: tarballs[w].integrity,
        manifest: Object.fromEntries(Object.entries(manifest).filter(([k]) => keep.includes(k))),
      };
    }
    const rootLock = JSON.parse(await readFile(path.join(ROOT, "package-lock.json"), "utf8"));
    await writeFile(path.join(app, "package.json"), JSON.stringify(appPackage, null, 2));
    await writeFile(
      path.join(app, "package-lock.json"),
      JSON.stringify(appLockfile(rootLock, appPackage, packs), null, 2),
    );
    expectSuccess(
      await npm(["ci", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], app),
      "npm ci --offline",
    );
    // The type-checker and Node's typings are the repository's (an app brings its own; nothing else is shared).
    await mkdir(path.join(app, "node_modules", "@types"), { recursive: true });
    await symlink(path.join(ROOT, "node_modules", "@types", "node"), path.join(app, "node_modules", "@types", "node"));
  });

  after(async () => {
    await stopAllProcesses();
    if (temp !== undefined) await rm(temp, { recursive: true, force: true });
  });

  it("should pack the SDK with its README, LICENSE and builds only: no sources, maps, mocks or CLI", function () {
    const { files } = tarballs.sdk;
    expect(files).to.include.members([
      "README.md",
      "LICENSE",
      "package.json",
      "dist/esm/index.js",
      "dist/cjs/index.js",
    ]);
    expect(files).to.include.members(["dist/esm/index.d.ts", "dist/cjs/index.d.ts", "dist/esm/testing.js"]);
    const unwanted = files.filter((f) => /(^src\/|\.map$|\/mocks\/|\/cli\/|\.test\.)/.test(f));
    expect(unwanted).to.deep.equal([]);
    expect(files.filter((f) => !/^(README\.md|LICENSE|package\.json|dist\/(esm|cjs)\/)/.test(f))).to.deep.equal([]);
  });

  it("should pack the CLI with its README, LICENSE, bin and build only", function () {
    const { files } = tarballs.cli;
    expect(files).to.include.members(["README.md", "LICENSE", "package.json", "dist/bin.js", "dist/index.d.ts"]);
    expect(files.filter((f) => !/^(README\.md|LICENSE|package\.json|dist\/)/.test(f))).to.deep.equal([]);
  });

  it("should install one ethers: the app's (ethers and viem are the SDK's peers, not its dependencies)", async function () {
    const sdk = JSON.parse(
      await readFile(path.join(app, "node_modules", "@roamledger", "sdk", "package.json"), "utf8"),
    );
    expect(sdk.dependencies).to.not.have.any.keys("ethers", "viem", "commander", "cli-progress");
    expect(sdk.peerDependenciesMeta).to.deep.equal({ ethers: { optional: true }, viem: { optional: true } });
    const list = expectSuccess(await npm(["ls", "ethers", "--all", "--parseable"], app), "npm ls ethers");
    expect(list.trim().split("\n")).to.have.length(1);
  });

  it("should type-check and run the same script as ESM (nodenext), ESM (bundler) and CommonJS, with ethers and viem", async function () {
    await writeFile(path.join(app, "esm.mts"), esmScript());
    await writeFile(path.join(app, "cjs.cts"), cjsScript());
    await mkdir(path.join(app, "bundler"));
    await writeFile(path.join(app, "bundler", "main.ts"), esmScript());
    // skipLibCheck as apps set it: the packages' declarations are tsc's own output of type-checked sources, and
    // checking every declaration of ethers and viem too would take minutes.
    const base = { target: "es2022", strict: true, skipLibCheck: true, types: ["node"], outDir: "out" };
    await writeFile(
      path.join(app, "tsconfig.nodenext.json"),
      JSON.stringify({
        compilerOptions: { ...base, module: "nodenext", moduleResolution: "nodenext" },
        files: ["esm.mts", "cjs.cts"],
      }),
    );
    await writeFile(
      path.join(app, "tsconfig.bundler.json"),
      JSON.stringify({
        compilerOptions: { ...base, module: "esnext", moduleResolution: "bundler", outDir: "out/bundler" },
        files: ["bundler/main.ts"],
      }),
    );
    expectSuccess(await run(process.execPath, [TSC, "-p", "tsconfig.nodenext.json"], app), "tsc (nodenext)");
    expectSuccess(await run(process.execPath, [TSC, "-p", "tsconfig.bundler.json"], app), "tsc (bundler)");
    await writeFile(path.join(app, "out", "bundler", "package.json"), JSON.stringify({ type: "module" }));

    // The packaged rating gives what the sources give (the script's plan and volume).
    const plan = {
      service: Service.Data,
      kind: PlanKind.Threshold,
      increment: 1_000n,
      tiers: [{ start: 0n, fixedPrice: 0n, linearPrice: 10n ** 15n }],
      unbalancedTiers: [],
    };
    const expected = { charge: rate(plan, 2_500_000n, 0n, 6).toString() };
    const outputs = [];
    for (const script of ["out/esm.mjs", "out/cjs.cjs", "out/bundler/main.js"]) {
      const stdout = expectSuccess(await run(process.execPath, [script], app), script);
      outputs.push(JSON.parse(stdout) as Record<string, string>);
    }
    expect(outputs[1]).to.deep.equal(outputs[0]);
    expect(outputs[2]).to.deep.equal(outputs[0]);
    expect(outputs[0]).to.include({ to: ADDRESSES.vault, viemRegistry: ADDRESSES.registry, viemTo: ADDRESSES.vault });
    expect(outputs[0].selector).to.match(/^0x[0-9a-f]{8}$/);
    expect(outputs[0].charge).to.equal(expected.charge);
  });

  it("should run the viem and pure entry points without ethers (an optional peer), as ESM and as CommonJS", async function () {
    // ethers made unresolvable, for ES modules (a resolve hook) and for require (the CommonJS resolver)
    await writeFile(
      path.join(app, "no-ethers.mjs"),
      'import { register } from "node:module";\n' +
        'register("data:text/javascript,export async function resolve(s, c, next) { ' +
        "if (s === 'ethers' || s.startsWith('ethers/')) throw new Error('ethers is not installed'); " +
        'return next(s, c); }");\n' +
        'import Module from "node:module";\n' +
        "const resolve = Module._resolveFilename;\n" +
        "Module._resolveFilename = function (request, ...rest) {\n" +
        '  if (request === "ethers" || request.startsWith("ethers/")) throw new Error("ethers is not installed");\n' +
        "  return resolve.call(this, request, ...rest);\n" +
        "};\n",
    );
    const body = (load: string) =>
      `${load}\n` +
      "const contracts = getRoamLedgerContracts({ client: createPublicClient({ transport: http('http://127.0.0.1:9') }), " +
      `addresses: ${JSON.stringify(ADDRESSES)} });\n` +
      "const plan = { service: Service.Data, kind: PlanKind.Threshold, increment: 1000n, " +
      "tiers: [{ start: 0n, fixedPrice: 0n, linearPrice: 10n ** 15n }], unbalancedTiers: [] };\n" +
      "console.log(JSON.stringify({ registry: contracts.registry.address, charge: rate(plan, 2500000n, 0n, 6).toString(), " +
      "tadig: encodeTadig('DEUD1') }));\n";
    await writeFile(
      path.join(app, "viem-only.mjs"),
      body(
        'import { createPublicClient, http } from "viem";\n' +
          'import { getRoamLedgerContracts } from "@roamledger/sdk/viem";\n' +
          'import { encodeTadig, PlanKind, rate, Service } from "@roamledger/sdk/pure";',
      ),
    );
    await writeFile(
      path.join(app, "viem-only.cjs"),
      body(
        'const { createPublicClient, http } = require("viem");\n' +
          'const { getRoamLedgerContracts } = require("@roamledger/sdk/viem");\n' +
          'const { encodeTadig, PlanKind, rate, Service } = require("@roamledger/sdk/pure");',
      ),
    );
    // the hook does keep ethers out: the ethers entry point fails under it
    const blocked = await run(
      process.execPath,
      ["--import", "./no-ethers.mjs", "-e", 'require("@roamledger/sdk")'],
      app,
    );
    expect(blocked.code).to.not.equal(0);
    expect(blocked.stderr).to.include("ethers is not installed");
    const outputs = [];
    for (const script of ["viem-only.mjs", "viem-only.cjs"]) {
      const stdout = expectSuccess(await run(process.execPath, ["--import", "./no-ethers.mjs", script], app), script);
      outputs.push(JSON.parse(stdout) as Record<string, string>);
    }
    expect(outputs[0]).to.deep.equal(outputs[1]);
    expect(outputs[0]).to.include({ registry: ADDRESSES.registry });
  });

  it("should type-check the README's SDK examples in an ESM app", async function () {
    const examples = await readmeExamples();
    const files = [];
    for (const [i, text] of examples.entries()) {
      const file = `readme-${i}.mts`;
      await writeFile(path.join(app, file), text);
      files.push(file);
    }
    await writeFile(
      path.join(app, "tsconfig.readme.json"),
      JSON.stringify({
        compilerOptions: {
          target: "es2022",
          module: "nodenext",
          strict: true,
          skipLibCheck: true,
          types: ["node"],
          noEmit: true,
        },
        files,
      }),
    );
    expectSuccess(await run(process.execPath, [TSC, "-p", "tsconfig.readme.json"], app), "tsc (README examples)");
  });

  it("should run the CLI from the app's node_modules/.bin", async function () {
    const { version } = JSON.parse(await readFile(path.join(ROOT, "cli", "package.json"), "utf8")) as {
      version: string;
    };
    const bin = path.join(app, "node_modules", ".bin", "roamledger");
    expect(expectSuccess(await run(bin, ["--version"], app), "roamledger --version")).to.equal(`${version}\n`);
    const help = expectSuccess(await run(bin, ["--help"], app), "roamledger --help");
    expect(help).to.include("usage").and.to.include("batch");
  });
});
