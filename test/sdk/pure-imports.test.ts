import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

/**
 * `@roamledger/sdk/pure` must work with either chain library, or none (`ethers` and `viem` are optional peers): no
 * module reachable from `sdk/src/pure.ts` may import `ethers`, `viem` (or a subpath of either) or the generated
 * TypeChain bindings (`sdk/src/typechain`, which import ethers), not even for types (its typings would then need
 * ethers). The packages it does import must not depend on either library themselves.
 */

const ROOT = path.resolve(__dirname, "../..");
const SDK = path.join(ROOT, "sdk");
const SDK_SRC = path.join(SDK, "src");
const TYPECHAIN = path.join(SDK_SRC, "typechain") + path.sep;
const CHAIN_LIBRARIES = ["ethers", "viem"];

interface Import {
  /** The importing file, relative to the repository. */
  from: string;
  specifier: string;
}

/** Every module specifier `file` names: imports and re-exports (type-only included), `import()` and `require()`. */
function specifiersOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined) {
      if (ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expression = node.moduleReference.expression;
      if (ts.isStringLiteral(expression)) found.push(expression.text);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === "require")) {
        found.push(node.arguments[0].text);
      }
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const literal = node.argument.literal;
      if (ts.isStringLiteral(literal)) found.push(literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The file a relative specifier names (`x.ts` or `x/index.ts`). */
function resolveRelative(from: string, specifier: string): string {
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [`${base}.ts`, path.join(base, "index.ts"), base]) {
    try {
      readFileSync(candidate);
      return candidate;
    } catch {
      // try the next form
    }
  }
  throw new Error(`cannot resolve ${specifier} from ${from}`);
}

/** The package a bare specifier names (`@scope/name` or `name`). */
function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** The SDK files reachable from `entry`, and every import they make. */
function walk(entry: string): { files: string[]; imports: Import[] } {
  const files = new Set<string>();
  const imports: Import[] = [];
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of specifiersOf(file)) {
      imports.push({ from: path.relative(ROOT, file), specifier });
      if (!specifier.startsWith(".")) continue;
      const target = resolveRelative(file, specifier);
      if (target.startsWith(TYPECHAIN)) {
        imports.push({ from: path.relative(ROOT, file), specifier: `typechain:${specifier}` });
        continue;
      }
      pending.push(target);
    }
  }
  return { files: [...files].map((f) => path.relative(ROOT, f)), imports };
}

/** The imports of `walked` that name a chain library or the TypeChain output. */
function violations(walked: { imports: Import[] }): Import[] {
  return walked.imports.filter(
    ({ specifier }) => specifier.startsWith("typechain:") || CHAIN_LIBRARIES.includes(packageOf(specifier)),
  );
}

/** The manifest of package `name` as Node finds it from `from` (the nearest `node_modules/<name>` up the tree). */
function manifestOf(name: string, from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name, "package.json");
    try {
      readFileSync(candidate);
      return candidate;
    } catch {
      if (path.dirname(dir) === dir) throw new Error(`${name} not found from ${from}`);
    }
  }
}

/** The packages `name` depends on at run time, transitively (resolved from the SDK as Node would). */
function dependencyClosure(name: string, from = SDK, seen = new Map<string, string[]>()): Map<string, string[]> {
  if (seen.has(name)) return seen;
  const manifestPath = manifestOf(name, from);
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  const deps = [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})];
  seen.set(name, deps);
  for (const dep of deps) {
    try {
      dependencyClosure(dep, path.dirname(manifestPath), seen);
    } catch {
      seen.set(dep, []); // an optional peer that is not installed
    }
  }
  return seen;
}

describe("SDK pure entry point: no chain library", function () {
  const walked = walk(path.join(SDK_SRC, "pure.ts"));

  it("should reach the pure modules (rating, typed data, netting, CDR, Merkle, capacity, deployments, errors)", function () {
    for (const module of [
      "sdk/src/rating/engine.ts",
      "sdk/src/typedData/agreements.ts",
      "sdk/src/typedData/clearing.ts",
      "sdk/src/netting/preview.ts",
      "sdk/src/cdr/batch.ts",
      "sdk/src/cdr/hash.ts",
      "sdk/src/merkle/leaf.ts",
      "sdk/src/capacity/terms.ts",
      "sdk/src/capacity/metadata.ts",
      "sdk/src/deployments/index.ts",
      "sdk/src/errors.ts",
      "sdk/src/validation.ts",
      "sdk/src/encoding/index.ts",
    ]) {
      expect(
        walked.files.map((f) => f.split(path.sep).join("/")),
        module,
      ).to.include(module);
    }
  });

  it("should import neither ethers nor viem nor the TypeChain bindings from any module it reaches", function () {
    const found = violations(walked).map(({ from, specifier }) => `${from}: ${specifier}`);
    expect(found, `chain-library imports reachable from sdk/src/pure.ts:\n${found.join("\n")}`).to.deep.equal([]);
  });

  it("should import only packages that depend on neither ethers nor viem", function () {
    const packages = [...new Set(walked.imports.map((i) => i.specifier).filter((s) => !s.startsWith(".")))]
      .filter((s) => !s.startsWith("typechain:"))
      .map(packageOf);
    for (const name of new Set(packages)) {
      const closure = dependencyClosure(name);
      for (const library of CHAIN_LIBRARIES) {
        expect(closure.has(library), `${name} depends on ${library}`).to.equal(false);
      }
    }
  });

  it("should catch a violation: the ethers entry point reaches both ethers and the TypeChain bindings", function () {
    const found = violations(walk(path.join(SDK_SRC, "index.ts")));
    expect(found.some((i) => packageOf(i.specifier) === "ethers")).to.equal(true);
    expect(found.some((i) => i.specifier.startsWith("typechain:"))).to.equal(true);
  });
});
