#!/usr/bin/env node
// Runs before `npm install`/`npm ci`: the API needs node:sqlite (Node 22.16 or newer). Say so
// plainly, with the way to get a current Node, instead of failing later on an import.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 16)) {
  const arch = { x64: "x64", arm64: "arm64" }[process.arch] ?? process.arch;
  process.stderr.write(
    `Compliance needs Node.js 22.16 or newer (24 LTS recommended); this is ${process.version}.\n` +
      "A current Node installs from the npm registry, without root:\n" +
      `  npm install --prefix ~/.local/node24 node-linux-${arch}@24\n` +
      "  export PATH=~/.local/node24/node_modules/.bin:$PATH\n",
  );
  process.exit(1);
}
