/**
 * Counts the symbols each entry point of `@roamledger/sdk` exports, with the TypeScript compiler API over the
 * sources (`ts.createProgram` + `checker.getExportsOfModule`): per entry point, and the unique symbols of all of them
 * (a symbol re-exported by several entry points counts once; aliases are resolved to their declaration).
 *
 *     npx ts-node --transpile-only scripts/dev/count-exports.ts [--list]
 */
import path from "node:path";
import ts from "typescript";

const ENTRY_POINTS = ["index.ts", "ethers.ts", "pure.ts", "viem/index.ts", "node.ts", "testing.ts"];
const root = path.resolve(__dirname, "../../sdk/src");
const files = ENTRY_POINTS.map((f) => path.join(root, f));
const program = ts.createProgram(files, {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  strict: true,
  skipLibCheck: true,
  noEmit: true,
});
const checker = program.getTypeChecker();

const unique = new Map<ts.Symbol, string>();
const rows: [string, number][] = [];
for (const [i, file] of files.entries()) {
  const source = program.getSourceFile(file);
  if (source === undefined) throw new Error(`not found: ${file}`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) throw new Error(`not a module: ${file}`);
  const exports = checker.getExportsOfModule(moduleSymbol);
  for (const s of exports) {
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    unique.set(target, s.getName());
  }
  rows.push([ENTRY_POINTS[i], exports.length]);
}
for (const [entry, n] of rows) console.log(`${entry.padEnd(16)} ${n}`);
console.log(`${"unique".padEnd(16)} ${unique.size}`);
if (process.argv.includes("--list")) console.log([...unique.values()].sort().join("\n"));
