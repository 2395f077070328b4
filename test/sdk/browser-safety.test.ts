import { expect } from "chai";
import { builtinModules } from "node:module";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import ts from "typescript";

/**
 * The browser-safe entry points (`@roamledger/sdk`, `/ethers`, `/pure`, `/viem`) must reach no Node-only API. Their
 * typings cannot prove it on their own (`ethers`' typings reference `@types/node`, so `Buffer` and `process` would
 * type-check), hence this scan of every SDK file they reach: no import of a Node built-in module, no use of a
 * Node-only global (by name), and no identifier that resolves only to a declaration of `@types/node`.
 */

const ROOT = path.resolve(__dirname, "../..");
const SDK_SRC = path.join(ROOT, "sdk", "src") + path.sep;
const BROWSER_CONFIG = path.join(ROOT, "sdk", "tsconfig.browser.json");

const NODE_GLOBALS = new Set(["Buffer", "process", "__dirname", "__filename", "require", "global", "setImmediate"]);
const NODE_MODULES = new Set(builtinModules.flatMap((name) => [name, name.split("/")[0]]));

interface Finding {
  file: string;
  line: number;
  what: string;
}

function isNodeModule(specifier: string): boolean {
  return specifier.startsWith("node:") || NODE_MODULES.has(specifier) || NODE_MODULES.has(specifier.split("/")[0]);
}

/** Whether an identifier is a name being declared or a property name (not a reference to a global). */
function isNameOnly(id: ts.Identifier): boolean {
  const parent = id.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === id) return true;
  if (ts.isQualifiedName(parent) && parent.right === id) return true;
  if (
    (ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isMethodSignature(parent) ||
      ts.isParameter(parent) ||
      ts.isVariableDeclaration(parent) ||
      ts.isFunctionDeclaration(parent) ||
      ts.isClassDeclaration(parent) ||
      ts.isInterfaceDeclaration(parent) ||
      ts.isTypeAliasDeclaration(parent) ||
      ts.isEnumMember(parent) ||
      ts.isBindingElement(parent) ||
      ts.isImportSpecifier(parent) ||
      ts.isExportSpecifier(parent)) &&
    parent.name === id
  ) {
    return true;
  }
  return false;
}

/** The Node-only imports and uses in the SDK files (under sdk/src) of `program`. */
function scan(program: ts.Program, inScope: (file: string) => boolean): { files: string[]; findings: Finding[] } {
  const checker = program.getTypeChecker();
  const files: string[] = [];
  const findings: Finding[] = [];
  for (const sf of program.getSourceFiles()) {
    if (!inScope(sf.fileName)) continue;
    files.push(path.relative(ROOT, sf.fileName));
    const report = (node: ts.Node, what: string) =>
      findings.push({
        file: path.relative(ROOT, sf.fileName),
        line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1,
        what,
      });
    const visit = (node: ts.Node): void => {
      let specifier: ts.Expression | undefined;
      if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) specifier = node.moduleSpecifier;
      if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
        specifier = node.moduleReference.expression;
      }
      if (ts.isCallExpression(node) && node.arguments.length > 0) {
        const callee = node.expression;
        if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === "require")) {
          specifier = node.arguments[0];
        }
      }
      if (specifier !== undefined && ts.isStringLiteral(specifier) && isNodeModule(specifier.text)) {
        report(specifier, `imports the Node module "${specifier.text}"`);
      }
      if (ts.isIdentifier(node) && !isNameOnly(node)) {
        if (NODE_GLOBALS.has(node.text)) {
          report(node, `uses the Node global ${node.text}`);
        } else {
          const symbol = checker.getSymbolAtLocation(node);
          const declarations = symbol?.declarations ?? [];
          const nodeOnly =
            declarations.length > 0 &&
            declarations.every((d) => /[\\/]node_modules[\\/]@types[\\/]node[\\/]/.test(d.getSourceFile().fileName));
          if (nodeOnly) report(node, `uses ${node.text}, declared only by @types/node`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return { files, findings };
}

function programOf(configFile: string, rootNames?: string[]): ts.Program {
  const parsed = ts.getParsedCommandLineOfConfigFile(configFile, undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  });
  if (parsed === undefined) throw new Error(`cannot read ${configFile}`);
  return ts.createProgram({ rootNames: rootNames ?? parsed.fileNames, options: parsed.options });
}

const inSdk = (file: string) => path.resolve(file).startsWith(SDK_SRC);

describe("SDK browser safety", function () {
  let browser: { files: string[]; findings: Finding[] };

  before(function () {
    browser = scan(programOf(BROWSER_CONFIG), inSdk);
  });

  it("should check the browser entry points: index, ethers, pure and viem", function () {
    const roots = programOf(BROWSER_CONFIG)
      .getRootFileNames()
      .map((f) => path.relative(ROOT, f));
    expect(roots).to.have.members([
      "sdk/src/index.ts",
      "sdk/src/ethers.ts",
      "sdk/src/pure.ts",
      "sdk/src/viem/index.ts",
    ]);
  });

  it("should reach every browser module, and no Node-only one", function () {
    expect(browser.files).to.include.members([
      "sdk/src/errors.ts",
      "sdk/src/cdr/ingest.ts",
      "sdk/src/clients/vault.ts",
      "sdk/src/deployments/index.ts",
      "sdk/src/viem/abis.ts",
      "sdk/src/viem/reads.ts",
      "sdk/src/typechain/factories/contracts/OperatorRegistry__factory.ts",
    ]);
    expect(browser.files).to.not.include.members(["sdk/src/cdr/node.ts", "sdk/src/deployments/node.ts"]);
    expect(browser.files).to.not.include("sdk/src/node.ts");
  });

  it("should find no Node-only import or use in the files the browser entry points reach", function () {
    const lines = browser.findings.map((f) => `${f.file}:${f.line}: ${f.what}`);
    expect(lines, `Node-only code reachable from a browser entry point:\n${lines.join("\n")}`).to.deep.equal([]);
  });

  it("should flag the Node entry point's file access (the scan finds what it looks for)", function () {
    const node = scan(programOf(BROWSER_CONFIG, [path.join(ROOT, "sdk/src/node.ts")]), inSdk);
    const what = node.findings.map((f) => `${f.file}: ${f.what}`);
    expect(what).to.include('sdk/src/cdr/node.ts: imports the Node module "fs"');
    expect(what).to.include('sdk/src/deployments/node.ts: imports the Node module "node:fs/promises"');
  });

  it("should flag Node globals, Node-only types and dynamic imports of Node modules", async function () {
    const dir = await mkdtemp(path.join(tmpdir(), "roamledger-browser-"));
    try {
      const file = path.join(dir, "bad.ts");
      await writeFile(
        file,
        [
          'import { readFileSync } from "fs";',
          "export const a = Buffer.from(readFileSync(__filename));",
          "export const b = process.env.HOME;",
          "export type T = NodeJS.Timeout;",
          'export const c = import("node:path");',
          "export const fine = { process: 1 }.process + new TextDecoder().decode(new Uint8Array());",
        ].join("\n"),
      );
      const program = ts.createProgram({
        rootNames: [file],
        options: { types: ["node"], lib: ["lib.es2022.d.ts", "lib.dom.d.ts"], noEmit: true, skipLibCheck: true },
      });
      const what = scan(program, (f) => path.resolve(f) === path.resolve(file)).findings.map(
        (f) => `${f.line}: ${f.what}`,
      );
      expect(what).to.have.members([
        '1: imports the Node module "fs"',
        "2: uses the Node global Buffer",
        "2: uses the Node global __filename",
        "3: uses the Node global process",
        "4: uses NodeJS, declared only by @types/node",
        '5: imports the Node module "node:path"',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
