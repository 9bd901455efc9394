import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CONTEXT } from "./helpers.ts";

const PACKAGE = new URL("..", import.meta.url).pathname;
const CDK = createRequire(import.meta.url).resolve("aws-cdk/bin/cdk");
const out = mkdtempSync(join(tmpdir(), "compliance-cdk-"));
after(() => rmSync(out, { recursive: true, force: true }));

/**
 * The environment of an operator's machine with no AWS account configured and no network:
 * no credentials, no profile, no instance metadata, and a proxy that refuses every request.
 */
function offline(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(AWS_|CDK_)/.test(name)),
  );
  return {
    ...env,
    HOME: out,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: join(out, "no-aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(out, "no-aws-credentials"),
    HTTPS_PROXY: "http://127.0.0.1:9",
    HTTP_PROXY: "http://127.0.0.1:9",
    CDK_DISABLE_CLI_TELEMETRY: "true",
  };
}

function cdk(args: string[]) {
  return spawnSync(process.execPath, [CDK, ...args, "--no-notices", "--no-version-reporting"], {
    cwd: PACKAGE,
    env: offline(),
    encoding: "utf8",
    timeout: 120_000,
  });
}

const context = (values: Record<string, string>) =>
  Object.entries(values).flatMap(([key, value]) => ["-c", `${key}=${value}`]);

test("`cdk synth` writes the stack's template offline, without AWS credentials", () => {
  const image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/compliance-api:0.1.0";
  const r = cdk([
    "synth",
    "--quiet",
    "-o",
    join(out, "cdk.out"),
    ...context({ ...CONTEXT, image }),
  ]);
  assert.equal(r.status, 0, r.stderr);
  const template = JSON.parse(
    readFileSync(join(out, "cdk.out", "ComplianceApi.template.json"), "utf8"),
  ) as { Resources: Record<string, { Type: string }> };
  const types = new Set(Object.values(template.Resources).map((r) => r.Type));
  for (const type of [
    "AWS::ECS::Service",
    "AWS::RDS::DBInstance",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::SecretsManager::Secret",
    "AWS::Logs::LogGroup",
  ]) {
    assert.ok(types.has(type), `the template has an ${type}`);
  }
});

test("the app stops and names the missing context when the certificate is not given", () => {
  const { certificateArn: _, ...rest } = CONTEXT;
  // The CLI hands the context to the app in this variable, as here.
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/app.ts"], {
    cwd: PACKAGE,
    env: { ...offline(), CDK_CONTEXT_JSON: JSON.stringify(rest), CDK_OUTDIR: join(out, "missing") },
    encoding: "utf8",
    timeout: 120_000,
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /context "certificateArn" is required \(-c certificateArn=\.\.\.\)/);
});
