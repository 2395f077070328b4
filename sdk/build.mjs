/**
 * Builds the package: CommonJS and ES modules, each with its type declarations, holding only what the entry points
 * reach.
 *
 * 1. `tsc -p tsconfig.build.json` type-checks the sources and writes CommonJS with declarations to `dist/cjs`.
 * 2. The same sources, transpiled one file at a time as ES modules (they are `isolatedModules`-safe), go to `dist/esm`,
 *    with their declarations copied from `dist/cjs`; in both, every relative import gets the explicit file name Node's
 *    ES module loader needs (`./rating` becomes `./rating/index.js`).
 * 3. Files no entry point reaches (TypeChain bindings of test mocks, for instance) are removed.
 * 4. Each folder gets a `package.json` naming its module type, so Node and TypeScript (`node16`/`nodenext`,
 *    `bundler`) read each file as what it is.
 *
 * Usage: `node build.mjs` from the package (`npm run build`).
 */
import { execFileSync } from "node:child_process";
import process from "node:process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const ts = require("typescript");

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SRC = path.join(HERE, "src");
const DIST = path.join(HERE, "dist");
const CJS = path.join(DIST, "cjs");
const ESM = path.join(DIST, "esm");

/** The entry points (`exports` of package.json), relative to `src` without extension. */
export const ENTRY_POINTS = ["index", "ethers", "pure", "node", "viem/index", "testing"];

/** Every file under `dir`, recursively. */
function filesUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** Relative module specifiers in JavaScript or declaration text: `from "./x"`, `import("./x")`, `require("./x")`. */
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(["'])(\.{1,2}\/[^"']*)\2/g;

/** `spec` (relative to the source file `fromSource`) with the file name an ES module loader needs. */
function explicit(spec, fromSource) {
  if (/\.(m|c)?js$/.test(spec)) return spec;
  const target = path.resolve(path.dirname(fromSource), spec);
  if (existsSync(`${target}.ts`)) return `${spec}.js`;
  if (existsSync(path.join(target, "index.ts"))) return `${spec}/index.js`;
  throw new Error(`${path.relative(HERE, fromSource)}: cannot resolve the import "${spec}"`);
}

function withExplicitSpecifiers(text, fromSource) {
  return text.replace(SPECIFIER, (_m, head, quote, spec) => `${head}${quote}${explicit(spec, fromSource)}${quote}`);
}

function write(file, text) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

// 1. CommonJS and declarations, type-checked.
rmSync(DIST, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(HERE, "tsconfig.build.json")], {
  stdio: "inherit",
});

// 2. ES modules, their declarations from step 1; explicit specifiers in both formats.
for (const source of filesUnder(SRC)) {
  if (!source.endsWith(".ts") || source.endsWith(".d.ts")) continue;
  const relative = path.relative(SRC, source).replace(/\.ts$/, "");
  const { outputText } = ts.transpileModule(readFileSync(source, "utf8"), {
    fileName: source,
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, isolatedModules: true },
  });
  write(path.join(ESM, `${relative}.js`), withExplicitSpecifiers(outputText, source));
  const declarations = path.join(CJS, `${relative}.d.ts`);
  if (existsSync(declarations)) {
    const text = withExplicitSpecifiers(readFileSync(declarations, "utf8"), source);
    write(path.join(ESM, `${relative}.d.ts`), text);
    write(declarations, text);
  }
}

// 3. Only what the entry points reach.
for (const root of [CJS, ESM]) {
  const reached = new Set();
  const queue = ENTRY_POINTS.flatMap((entry) => [`${entry}.js`, `${entry}.d.ts`].map((f) => path.join(root, f)));
  while (queue.length > 0) {
    const file = queue.pop();
    if (reached.has(file)) continue;
    if (!existsSync(file)) throw new Error(`${path.relative(HERE, file)} is imported but was not built`);
    reached.add(file);
    for (const [, , , spec] of readFileSync(file, "utf8").matchAll(SPECIFIER)) {
      const target = path.resolve(path.dirname(file), spec);
      const isDeclaration = file.endsWith(".d.ts");
      const base = target.replace(/\.js$/, "");
      const candidates = isDeclaration
        ? [`${base}.d.ts`, path.join(base, "index.d.ts")]
        : [target.endsWith(".js") ? target : `${target}.js`, path.join(target, "index.js")];
      const found = candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
      if (found === undefined) throw new Error(`${path.relative(HERE, file)}: "${spec}" was not built`);
      queue.push(found);
    }
  }
  for (const file of filesUnder(root)) {
    if (!reached.has(file) && !file.endsWith("package.json")) rmSync(file);
  }
  const dirs = readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort((a, b) => b.length - a.length);
  for (const dir of dirs) if (readdirSync(dir).length === 0) rmdirSync(dir);
}

// 4. The module type of each folder (written last: `dist/esm/package.json` marks a finished build).
write(path.join(CJS, "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);
write(path.join(ESM, "package.json"), `${JSON.stringify({ type: "module" })}\n`);
