// Bundle editor.mjs and its packages into ../queries/server/page/editor.js (one minified file),
// headed by the bundled packages' names, versions (from package-lock.json) and licence texts.
// Run: npm ci && npm run build (or `make editor` at the top of the repository).
import { build } from "esbuild";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "queries", "server", "page", "editor.js");
const lock = JSON.parse(readFileSync(join(here, "package-lock.json"), "utf8"));

const result = await build({
  entryPoints: [join(here, "editor.mjs")], bundle: true, minify: true, format: "iife", target: "es2020",
  legalComments: "none", metafile: true, write: false, charset: "utf8",
});

// The packages whose code is in the bundle, from the paths esbuild read.
const used = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (m) used.add(m[1]);
}
const packages = [...used].sort().map((name) => {
  const entry = lock.packages[`node_modules/${name}`];
  if (!entry) throw new Error(`${name} is bundled but not in package-lock.json`);
  const dir = join(here, "node_modules", name);
  const file = ["LICENSE", "LICENSE.md", "LICENSE.txt"].map((f) => join(dir, f)).find((f) => existsSync(f));
  if (!file) throw new Error(`${name} has no licence file`);
  return { name, version: entry.version, license: entry.license, text: readFileSync(file, "utf8").trim() };
});

const texts = new Map();
for (const p of packages) texts.set(p.text, [...(texts.get(p.text) || []), p.name]);
const lines = [
  "datateam-kg query page editor: CodeMirror 6 and its parts, bundled by page-editor/build.mjs.",
  "Bundled packages (name version licence), as locked in page-editor/package-lock.json:",
  ...packages.map((p) => `  ${p.name} ${p.version} ${p.license}`),
  "",
  ...[...texts].flatMap(([text, names]) => [`Licence of ${names.join(", ")}:`, "", ...text.split("\n"), ""]),
];
const header = "/*!\n" + lines.map((l) => (` * ${l}`).trimEnd()).join("\n").replaceAll("*/", "* /") + "\n */\n";
writeFileSync(out, header + result.outputFiles[0].text);
console.log(`${out}: ${packages.length} packages, ${(header.length + result.outputFiles[0].contents.length) / 1000 | 0} kB`);
