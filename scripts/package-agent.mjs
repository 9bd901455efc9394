#!/usr/bin/env node
// Packages the agent for servers that have no Node.js: one self-contained executable (a
// Node single executable application: a copy of this `node` with the bundled agent
// injected), and that executable with the systemd unit, a configuration template and the
// maintainer scripts as a .deb (dpkg-deb) and an .rpm (rpmbuild).
//
//   node scripts/package-agent.mjs [--out DIR] [--formats sea,deb,rpm]
//
// The artifacts land in dist/packages/ (gitignored) unless --out says otherwise. The
// executable runs on the same OS and CPU as the node that built it.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { builtinsRequiredWhereUsed } from "./bundle.mjs";

const root = new URL("..", import.meta.url).pathname;
const DEPLOY = join(root, "deploy/agent");
const ENTRY = join(root, "packages/agent/src/main.ts");
/** The fuse Node's single executable applications look for; postject flips it. */
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

export const AGENT_VERSION = JSON.parse(
  readFileSync(join(root, "packages/agent/package.json"), "utf8"),
).version;

const ARCH = {
  x64: { deb: "amd64", rpm: "x86_64" },
  arm64: { deb: "arm64", rpm: "aarch64" },
};

function run(command, args, options = {}) {
  const r = spawnSync(command, args, { encoding: "utf8", ...options });
  if (r.error) throw new Error(`${command}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (${r.status}):\n${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}

/**
 * The node options the unit runs the bundled agent with (the flags of its ExecStart),
 * which the executable carries instead of a command line. One source for both.
 */
export function unitNodeOptions(
  unitText = readFileSync(join(DEPLOY, "compliance-agent.service"), "utf8"),
) {
  const exec = /^ExecStart=(.*)$/m.exec(unitText);
  if (!exec) throw new Error("compliance-agent.service has no ExecStart=");
  return exec[1].split(/\s+/).filter((word) => word.startsWith("--"));
}

/** The unit as the packages install it: the executable instead of node and the bundle. */
export function packagedUnit(
  unitText = readFileSync(join(DEPLOY, "compliance-agent.service"), "utf8"),
) {
  return unitText
    .replace(
      /^# The Compliance agent as a systemd service\. Installed \(with the paths of this machine\)\n# by deploy\/agent\/install\.sh;/m,
      "# The Compliance agent as a systemd service, as its .deb and .rpm install it;",
    )
    .replace(/^ExecStart=.*$/m, "ExecStart=/usr/bin/compliance-agent run");
}

/**
 * Builds the single executable at `output`: the agent bundled as CommonJS (what a Node 24
 * single executable runs), its preparation blob, and the blob injected into a copy of
 * `node`.
 */
export async function buildExecutable(output, { node = process.execPath } = {}) {
  const work = mkdtempSync(join(tmpdir(), "compliance-sea-"));
  try {
    const script = join(work, "compliance-agent.cjs");
    await build({
      entryPoints: [ENTRY],
      outfile: script,
      bundle: true,
      platform: "node",
      target: "node22",
      format: "cjs",
      conditions: ["source"],
      logLevel: "warning",
      // Built-ins loaded when first used, as in the plain bundle.
      plugins: [builtinsRequiredWhereUsed],
    });
    const blob = join(work, "sea.blob");
    const config = join(work, "sea-config.json");
    writeFileSync(
      config,
      JSON.stringify({
        main: script,
        output: blob,
        disableExperimentalSEAWarning: true,
        useSnapshot: false,
        // V8's compiled code of the agent, made here, so a start does not compile it again.
        useCodeCache: true,
        execArgv: unitNodeOptions(),
      }),
    );
    // The code cache is made under the flags the executable runs with: V8 rejects a cache
    // made under other flags (and warns on every start).
    run(node, [...unitNodeOptions(), "--experimental-sea-config", config], { cwd: work });
    mkdirSync(join(output, ".."), { recursive: true });
    copyFileSync(node, output);
    chmodSync(output, 0o755);
    const { inject } = await import("postject");
    // postject's ELF reader chatters on stderr about sections it does not need; quiet it.
    const write = process.stderr.write;
    process.stderr.write = () => true;
    try {
      await inject(output, "NODE_SEA_BLOB", readFileSync(blob), { sentinelFuse: SEA_FUSE });
    } finally {
      process.stderr.write = write;
    }
    return output;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The files both packages install, staged under `stage` with their modes. */
function stageFiles(stage, executable) {
  const put = (path, mode, content) => {
    const target = join(stage, path);
    mkdirSync(join(target, ".."), { recursive: true });
    if (content === undefined) copyFileSync(executable, target);
    else writeFileSync(target, content);
    chmodSync(target, mode);
  };
  put("usr/bin/compliance-agent", 0o755);
  put("usr/lib/systemd/system/compliance-agent.service", 0o644, packagedUnit());
  put("etc/compliance-agent/config.ini", 0o640, readFileSync(join(DEPLOY, "config.ini")));
  chmodSync(join(stage, "etc/compliance-agent"), 0o750);
}

function installedKiB(dir) {
  return Math.ceil(Number(run("du", ["-sk", "--apparent-size", dir]).split("\t")[0]));
}

/** The .deb: dpkg-deb over a staged tree with DEBIAN/ (control, conffiles, scripts). */
export function buildDeb(executable, outDir, { version = AGENT_VERSION, revision = "1" } = {}) {
  const arch = ARCH[process.arch]?.deb ?? process.arch;
  const stage = mkdtempSync(join(tmpdir(), "compliance-deb-"));
  try {
    chmodSync(stage, 0o755);
    stageFiles(stage, executable);
    const size = installedKiB(stage);
    const control = join(stage, "DEBIAN");
    mkdirSync(control, { mode: 0o755 });
    writeFileSync(
      join(control, "control"),
      [
        "Package: compliance-agent",
        `Version: ${version}-${revision}`,
        `Architecture: ${arch}`,
        "Maintainer: Compliance <compliance@example.com>",
        // The executable is Node's own binary: glibc 2.28+, libstdc++ and libgcc_s.
        "Depends: libc6 (>= 2.28), libgcc-s1, libstdc++6, passwd",
        "Section: admin",
        "Priority: optional",
        `Installed-Size: ${size}`,
        "Homepage: https://github.com/compliance/compliance",
        "Description: Compliance agent: reports this host's inventory to the Compliance API",
        " Collects what runs on this host (processes, sessions, OS, CPU, memory, addresses,",
        " installed packages, listening sockets, accounts, services, security settings) and",
        " sends it to the Compliance API every few minutes, spooling reports while the API",
        " is away. One self-contained executable: no Node.js needed on the host.",
        "",
      ].join("\n"),
    );
    writeFileSync(join(control, "conffiles"), "/etc/compliance-agent/config.ini\n");
    for (const script of ["postinst", "prerm", "postrm"]) {
      copyFileSync(join(DEPLOY, "debian", script), join(control, script));
      chmodSync(join(control, script), 0o755);
    }
    mkdirSync(outDir, { recursive: true });
    const deb = join(outDir, `compliance-agent_${version}-${revision}_${arch}.deb`);
    run("dpkg-deb", ["--root-owner-group", "-Zgzip", "-z6", "--build", stage, deb]);
    return deb;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** The .rpm: rpmbuild -bb of deploy/agent/rpm/compliance-agent.spec over staged files. */
export function buildRpm(
  executable,
  outDir,
  { version = AGENT_VERSION, release = "1", payload = "w6.gzdio" } = {},
) {
  const arch = ARCH[process.arch]?.rpm ?? process.arch;
  const top = mkdtempSync(join(tmpdir(), "compliance-rpm-"));
  try {
    const stage = join(top, "stage");
    mkdirSync(stage, { mode: 0o755 });
    stageFiles(stage, executable);
    mkdirSync(join(stage, "var/lib/compliance-agent"), { recursive: true, mode: 0o700 });
    const spec = join(top, "compliance-agent.spec");
    writeFileSync(
      spec,
      readFileSync(join(DEPLOY, "rpm/compliance-agent.spec"), "utf8")
        .replaceAll("@VERSION@", version)
        .replaceAll("@RELEASE@", release)
        .replaceAll("@STAGE@", stage),
    );
    mkdirSync(outDir, { recursive: true });
    const defines = {
      _topdir: top,
      _rpmdir: top,
      _build_name_fmt: "%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}.rpm",
      _binary_payload: payload,
      _tmppath: join(top, "tmp"),
    };
    run("rpmbuild", [
      "-bb",
      "--quiet",
      "--target",
      arch,
      ...Object.entries(defines).flatMap(([k, v]) => ["--define", `${k} ${v}`]),
      spec,
    ]);
    const name = `compliance-agent-${version}-${release}.${arch}.rpm`;
    const rpm = join(outDir, name);
    copyFileSync(join(top, name), rpm);
    return rpm;
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
}

/**
 * Everything asked for in `formats`, in `outDir`: the executable
 * (compliance-agent-<version>-linux-<arch>), the .deb and the .rpm.
 */
export async function packageAgent({
  outDir = join(root, "dist/packages"),
  formats = ["sea", "deb", "rpm"],
  node = process.execPath,
} = {}) {
  const executable = join(outDir, `compliance-agent-${AGENT_VERSION}-linux-${process.arch}`);
  await buildExecutable(executable, { node });
  const result = { executable };
  if (formats.includes("deb")) result.deb = buildDeb(executable, outDir);
  if (formats.includes("rpm")) result.rpm = buildRpm(executable, outDir);
  return result;
}

if (process.argv[1] && basename(process.argv[1]) === "package-agent.mjs") {
  const { values } = parseArgs({
    options: { out: { type: "string" }, formats: { type: "string", default: "sea,deb,rpm" } },
  });
  const formats = values.formats.split(",");
  const started = performance.now();
  const made = await packageAgent({ outDir: values.out, formats });
  for (const path of Object.values(made)) {
    console.log(`${path} (${(statSync(path).size / 2 ** 20).toFixed(1)} MiB)`);
  }
  console.log(`packaged in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
