import assert from "node:assert/strict";
import { test } from "node:test";
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { API_PORT, ApiStack } from "../src/api-stack.ts";
import { readSettings } from "../src/settings.ts";
import { CONTEXT } from "./helpers.ts";

function synth(context: Record<string, string> = {}): Template {
  const app = new App();
  const settings = readSettings((key) => ({ ...CONTEXT, ...context })[key]);
  return Template.fromStack(new ApiStack(app, "ComplianceApi", { settings }));
}

const template = synth();

/** The logical id of the one resource of a type whose id starts with a prefix. */
function logicalId(type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  assert.equal(ids.length, 1, `one ${type} named ${prefix}*: ${ids.join(", ")}`);
  return ids[0] as string;
}

interface Ingress {
  group: string;
  CidrIp?: string;
  CidrIpv6?: string;
  SourceSecurityGroupId?: unknown;
  FromPort?: number;
  ToPort?: number;
}

/** Every ingress rule of the template, inline in a group or a resource of its own. */
function ingressRules(): Ingress[] {
  const rules: Ingress[] = [];
  for (const [id, group] of Object.entries(template.findResources("AWS::EC2::SecurityGroup"))) {
    for (const rule of group.Properties.SecurityGroupIngress ?? [])
      rules.push({ group: id, ...rule });
  }
  for (const rule of Object.values(template.findResources("AWS::EC2::SecurityGroupIngress"))) {
    const { GroupId, ...rest } = rule.Properties;
    rules.push({ group: GroupId["Fn::GetAtt"][0], ...rest });
  }
  return rules;
}

test("only the load balancer admits the internet, on 443 and 80", () => {
  const alb = logicalId("AWS::EC2::SecurityGroup", "LoadBalancerSecurityGroup");
  const open = ingressRules().filter((r) => r.CidrIp !== undefined || r.CidrIpv6 !== undefined);
  assert.deepEqual(open.map((r) => [r.group, r.CidrIp, r.FromPort, r.ToPort]).sort(), [
    [alb, "0.0.0.0/0", 443, 443],
    [alb, "0.0.0.0/0", 80, 80],
  ]);
});

test("the tasks admit the load balancer on the API port, the database the tasks on 5432", () => {
  const alb = logicalId("AWS::EC2::SecurityGroup", "LoadBalancerSecurityGroup");
  const tasks = logicalId("AWS::EC2::SecurityGroup", "ApiSecurityGroup");
  const database = logicalId("AWS::EC2::SecurityGroup", "DatabaseSecurityGroup");
  const from = (group: string) =>
    ingressRules()
      .filter((r) => r.group === group)
      .map((r) => [r.SourceSecurityGroupId, r.FromPort, r.ToPort]);
  assert.deepEqual(from(tasks), [[{ "Fn::GetAtt": [alb, "GroupId"] }, API_PORT, API_PORT]]);
  assert.deepEqual(from(database), [[{ "Fn::GetAtt": [tasks, "GroupId"] }, 5432, 5432]]);
  // The database sends nothing of its own; the load balancer reaches the tasks only.
  const groups = template.findResources("AWS::EC2::SecurityGroup");
  const inline = (id: string) =>
    (groups[id]?.Properties.SecurityGroupEgress ?? []) as { CidrIp?: string }[];
  assert.deepEqual(
    inline(database).map((e) => e.CidrIp),
    ["255.255.255.255/32"],
    "the database's group has the rule that matches no traffic",
  );
  assert.deepEqual(inline(alb), []);
  const egress = Object.values(template.findResources("AWS::EC2::SecurityGroupEgress")).map((e) => [
    e.Properties.GroupId,
    e.Properties.DestinationSecurityGroupId,
    e.Properties.FromPort,
  ]);
  assert.deepEqual(egress, [
    [{ "Fn::GetAtt": [alb, "GroupId"] }, { "Fn::GetAtt": [tasks, "GroupId"] }, API_PORT],
  ]);
});

test("the database is private, encrypted, in isolated subnets, its password generated", () => {
  template.hasResourceProperties("AWS::RDS::DBInstance", {
    Engine: "postgres",
    PubliclyAccessible: false,
    StorageEncrypted: true,
    DeletionProtection: true,
    DBName: "compliance",
    MasterUsername: Match.anyValue(),
    MasterUserPassword: {
      "Fn::Join": ["", Match.arrayWith([Match.stringLikeRegexp("^\\{\\{resolve:secretsmanager:")])],
    },
  });
  const subnetGroup = Object.values(template.findResources("AWS::RDS::DBSubnetGroup"))[0];
  const subnets = subnetGroup?.Properties.SubnetIds as { Ref: string }[];
  assert.equal(subnets.length, 2);
  for (const { Ref } of subnets) assert.match(Ref, /^Networkdatabase/);
  const isolated = template.findResources("AWS::EC2::Route", {
    Properties: { RouteTableId: { Ref: Match.stringLikeRegexp("^Networkdatabase") } },
  });
  assert.deepEqual(isolated, {}, "the database's subnets have no route out");
});

test("secrets reach the task from Secrets Manager, never as plain environment values", () => {
  const [definition] = Object.values(template.findResources("AWS::ECS::TaskDefinition"));
  assert.ok(definition);
  const [container] = definition.Properties.ContainerDefinitions as {
    Environment: { Name: string; Value: unknown }[];
    Secrets: { Name: string; ValueFrom: unknown }[];
    ReadonlyRootFilesystem: boolean;
  }[];
  assert.ok(container);
  const secrets = Object.fromEntries(container.Secrets.map((s) => [s.Name, s.ValueFrom]));
  assert.deepEqual(Object.keys(secrets).sort(), [
    "COMPLIANCE_ADMIN_TOKEN",
    "COMPLIANCE_ENROLL_SECRET",
    "PGPASSWORD",
  ]);
  const enroll = logicalId("AWS::SecretsManager::Secret", "EnrollSecret");
  const admin = logicalId("AWS::SecretsManager::Secret", "AdminToken");
  assert.deepEqual(secrets.COMPLIANCE_ENROLL_SECRET, { Ref: enroll });
  assert.deepEqual(secrets.COMPLIANCE_ADMIN_TOKEN, { Ref: admin });
  assert.match(JSON.stringify(secrets.PGPASSWORD), /:password::"/);

  const environment = Object.fromEntries(container.Environment.map((e) => [e.Name, e.Value]));
  for (const name of Object.keys(environment)) {
    assert.doesNotMatch(name, /SECRET|TOKEN|PASSWORD|KEY/, `${name} is not a secret`);
  }
  assert.equal(environment.HOST, "0.0.0.0");
  assert.equal(environment.PORT, String(API_PORT));
  const url = JSON.stringify(environment.DATABASE_URL);
  assert.match(url, /postgres:\/\/compliance@/, "no password in the database URL");
  assert.match(url, /sslmode=no-verify/);
  assert.equal(container.ReadonlyRootFilesystem, true);

  // The generated secrets' values exist only in Secrets Manager.
  for (const secret of Object.values(template.findResources("AWS::SecretsManager::Secret"))) {
    assert.equal(secret.Properties.SecretString, undefined);
    assert.ok(secret.Properties.GenerateSecretString);
  }
});

test("HTTPS with the certificate; HTTP is redirected to it", () => {
  template.hasResourceProperties("AWS::ElasticLoadBalancingV2::LoadBalancer", {
    Scheme: "internet-facing",
  });
  template.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", {
    Port: 443,
    Protocol: "HTTPS",
    Certificates: [{ CertificateArn: CONTEXT.certificateArn }],
    SslPolicy: Match.stringLikeRegexp("TLS13"),
    DefaultActions: [Match.objectLike({ Type: "forward" })],
  });
  template.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", {
    Port: 80,
    Protocol: "HTTP",
    DefaultActions: [
      {
        Type: "redirect",
        RedirectConfig: { Protocol: "HTTPS", Port: "443", StatusCode: "HTTP_301" },
      },
    ],
  });
  template.resourceCountIs("AWS::ElasticLoadBalancingV2::Listener", 2);
});

test("the load balancer checks /readyz; two tasks run in private subnets", () => {
  template.hasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", {
    Port: API_PORT,
    TargetType: "ip",
    HealthCheckPath: "/readyz",
    Matcher: { HttpCode: "200" },
  });
  template.hasResourceProperties("AWS::ECS::Service", {
    LaunchType: "FARGATE",
    DesiredCount: 2,
    NetworkConfiguration: {
      AwsvpcConfiguration: {
        AssignPublicIp: "DISABLED",
        Subnets: Match.arrayWith([{ Ref: Match.stringLikeRegexp("^Networktasks") }]),
      },
    },
    DeploymentConfiguration: Match.objectLike({
      DeploymentCircuitBreaker: { Enable: true, Rollback: true },
    }),
  });
  template.hasResourceProperties("AWS::ECS::TaskDefinition", {
    ContainerDefinitions: [
      Match.objectLike({
        HealthCheck: Match.objectLike({
          Command: Match.arrayWith([Match.stringLikeRegexp("/livez")]),
        }),
      }),
    ],
  });
});

test("the log goes to a CloudWatch log group kept for 30 days", () => {
  const group = logicalId("AWS::Logs::LogGroup", "ApiLog");
  template.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
  template.hasResourceProperties("AWS::ECS::TaskDefinition", {
    ContainerDefinitions: [
      Match.objectLike({
        LogConfiguration: {
          LogDriver: "awslogs",
          Options: Match.objectLike({ "awslogs-group": { Ref: group } }),
        },
      }),
    ],
  });
});

test("nothing is looked up in an account: the stack is environment-agnostic", () => {
  const text = JSON.stringify(template.toJSON());
  assert.doesNotMatch(text, /\d{12}:(?!certificate|repository)/, "no account baked in");
  assert.match(text, /Fn::GetAZs/);
});

test("settings: the context names what is wrong", () => {
  const read = (context: Record<string, string>) => () =>
    readSettings((key) => ({ ...CONTEXT, ...context })[key]);
  assert.throws(read({ certificateArn: "" }), /context "certificateArn" is required/);
  assert.throws(read({ certificateArn: "arn:aws:iam::1:x" }), /"certificateArn" must be/);
  assert.throws(read({ domainName: "not a name" }), /"domainName" must be/);
  assert.throws(read({ image: "" }), /context "image" is required/);
  assert.throws(read({ desiredCount: "0" }), /"desiredCount" must be an integer 1 or more/);
  assert.throws(read({ logRetentionDays: "31" }), /"logRetentionDays" must be one of 1, 3, 5/);
  assert.throws(read({ databaseMultiAz: "yes" }), /"databaseMultiAz" must be true or false/);
  assert.throws(read({ hostedZoneId: "Z123" }), /"hostedZoneId" and "hostedZoneName"/);
  assert.throws(
    read({ hostedZoneId: "Z123", hostedZoneName: "other.org" }),
    /"hostedZoneName" must be compliance.example.com or a parent/,
  );
  const settings = read({ desiredCount: "3", databaseMultiAz: "true" })();
  assert.equal(settings.desiredCount, 3);
  assert.equal(settings.databaseMultiAz, true);
});

test("a hosted zone gets the domain's alias; more tasks and a longer log on request", () => {
  const t = synth({
    hostedZoneId: "Z0123456789ABCDEFGHIJ",
    hostedZoneName: "example.com.",
    desiredCount: "4",
    logRetentionDays: "90",
  });
  t.hasResourceProperties("AWS::Route53::RecordSet", {
    HostedZoneId: "Z0123456789ABCDEFGHIJ",
    Name: "compliance.example.com.",
    Type: "A",
    AliasTarget: Match.objectLike({ DNSName: Match.anyValue() }),
  });
  t.hasResourceProperties("AWS::ECS::Service", { DesiredCount: 4 });
  t.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 90 });
  template.resourceCountIs("AWS::Route53::RecordSet", 0);
});

test("an ECR image is pulled with a role granted that repository only", () => {
  const t = synth({
    image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/compliance-api:1.2.0",
  });
  t.hasResourceProperties("AWS::IAM::Policy", {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Action: Match.arrayWith(["ecr:BatchGetImage"]),
          Resource: "arn:aws:ecr:eu-west-1:123456789012:repository/team/compliance-api",
        }),
      ]),
    },
  });
  t.hasResourceProperties("AWS::ECS::TaskDefinition", {
    ContainerDefinitions: [
      Match.objectLike({
        Image: Match.objectLike({
          "Fn::Join": ["", Match.arrayWith([Match.stringLikeRegexp("team/compliance-api:1.2.0")])],
        }),
      }),
    ],
  });
  // An image of a public registry is named as it is.
  template.hasResourceProperties("AWS::ECS::TaskDefinition", {
    ContainerDefinitions: [Match.objectLike({ Image: CONTEXT.image })],
  });
});
