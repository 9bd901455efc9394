// The CDK app: `npx cdk synth` / `npx cdk deploy` run this file (cdk.json), with the
// settings given as context (-c image=... -c certificateArn=... -c domainName=...).
import { App } from "aws-cdk-lib";
import { ApiStack } from "./api-stack.ts";
import { readSettings, SettingsError } from "./settings.ts";

const app = new App();
try {
  const settings = readSettings((key) => app.node.tryGetContext(key));
  new ApiStack(app, "ComplianceApi", {
    settings,
    description: "Compliance API: ECS Fargate behind an HTTPS load balancer, RDS PostgreSQL",
  });
} catch (error) {
  if (!(error instanceof SettingsError)) throw error;
  console.error(`compliance cloud: ${error.message}`);
  process.exit(2);
}
app.synth();
