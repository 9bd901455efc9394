import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecr from "aws-cdk-lib/aws-ecr";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import * as logs from "aws-cdk-lib/aws-logs";
import * as rds from "aws-cdk-lib/aws-rds";
import * as route53 from "aws-cdk-lib/aws-route53";
import * as targets from "aws-cdk-lib/aws-route53-targets";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";
import type { ApiSettings } from "./settings.ts";

/** The port the API listens on inside its container (the image's PORT). */
export const API_PORT = 8080;
/** The network's addresses; the API trusts X-Forwarded-For from the load balancer in it. */
export const VPC_CIDR = "10.40.0.0/16";
/** Where the image keeps its data (generated secrets, nothing else with PostgreSQL). */
const DATA_DIR = "/var/lib/compliance-api";
const DATABASE_NAME = "compliance";
const DATABASE_USER = "compliance";
/** account.dkr.ecr.region.amazonaws.com[.cn]/name[:tag|@digest] */
const ECR_IMAGE =
  /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([a-z0-9._/-]+?)(?::([\w.-]+)|@(sha256:[0-9a-f]{64}))?$/;

export interface ApiStackProps extends StackProps {
  settings: ApiSettings;
}

/**
 * The Compliance API on AWS: tasks on ECS Fargate in private subnets behind an
 * internet-facing load balancer that only speaks HTTPS (HTTP is redirected), PostgreSQL on
 * RDS in isolated subnets, the secrets in Secrets Manager and the log in CloudWatch.
 * Environment-agnostic: nothing is looked up in an account, so it synthesizes offline.
 */
export class ApiStack extends Stack {
  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const vpc = new ec2.Vpc(this, "Network", {
      ipAddresses: ec2.IpAddresses.cidr(VPC_CIDR),
      maxAzs: 2,
      natGateways: settings.natGateways,
      subnetConfiguration: [
        { name: "public", subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: "tasks", subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: "database", subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });

    const { loadBalancerGroup, taskGroup, databaseGroup } = this.securityGroups(vpc);
    const { database, secret: databaseSecret } = this.database(vpc, databaseGroup, settings);
    const enrollSecret = this.generatedSecret("EnrollSecret", "agents enroll with it");
    const adminToken = this.generatedSecret("AdminToken", "the API's administrator token");

    const logGroup = new logs.LogGroup(this, "ApiLog", {
      retention: settings.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const task = this.apiTask(settings, database, {
      databaseSecret,
      enrollSecret,
      adminToken,
      logGroup,
    });
    const cluster = new ecs.Cluster(this, "Cluster", { vpc });
    const service = new ecs.FargateService(this, "ApiService", {
      cluster,
      taskDefinition: task,
      desiredCount: settings.desiredCount,
      securityGroups: [taskGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      // The first start migrates the schema and may wait for the database.
      healthCheckGracePeriod: Duration.seconds(180),
    });

    const loadBalancer = this.loadBalancer(vpc, loadBalancerGroup, service, settings);
    if (settings.hostedZone) this.alias(settings.hostedZone, settings.domainName, loadBalancer);

    new CfnOutput(this, "ApiUrl", { value: `https://${settings.domainName}` });
    new CfnOutput(this, "LoadBalancerDnsName", {
      value: loadBalancer.loadBalancerDnsName,
      description: `Point ${settings.domainName} here (CNAME or alias)`,
    });
    new CfnOutput(this, "EnrollSecretArn", { value: enrollSecret.secretArn });
    new CfnOutput(this, "AdminTokenSecretArn", { value: adminToken.secretArn });
    new CfnOutput(this, "DatabaseSecretArn", { value: databaseSecret.secretArn });
    new CfnOutput(this, "LogGroupName", { value: logGroup.logGroupName });
  }

  /** Only the load balancer is reachable from outside; each layer admits the one before it. */
  private securityGroups(vpc: ec2.IVpc) {
    const loadBalancerGroup = this.securityGroup(vpc, "LoadBalancerSecurityGroup", {
      description: "Compliance API load balancer: HTTPS (and HTTP, redirected) from anywhere",
      allowAllOutbound: false,
    });
    loadBalancerGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), "HTTPS");
    loadBalancerGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), "HTTP, redirected");
    const taskGroup = this.securityGroup(vpc, "ApiSecurityGroup", {
      description: "Compliance API tasks: the API port from the load balancer only",
      // Outbound: the image registry, Secrets Manager, CloudWatch Logs, webhooks, archive.
      allowAllOutbound: true,
    });
    taskGroup.addIngressRule(loadBalancerGroup, ec2.Port.tcp(API_PORT), "the load balancer");
    const databaseGroup = this.securityGroup(vpc, "DatabaseSecurityGroup", {
      description: "Compliance database: PostgreSQL from the API tasks only",
      allowAllOutbound: false,
    });
    databaseGroup.addIngressRule(taskGroup, ec2.Port.tcp(5432), "the API tasks");
    return { loadBalancerGroup, taskGroup, databaseGroup };
  }

  /** The domain's alias record in the operator's hosted zone, to the load balancer. */
  private alias(
    hostedZone: { id: string; name: string },
    domainName: string,
    loadBalancer: elbv2.IApplicationLoadBalancer,
  ) {
    const zone = route53.HostedZone.fromHostedZoneAttributes(this, "Zone", {
      hostedZoneId: hostedZone.id,
      zoneName: hostedZone.name,
    });
    new route53.ARecord(this, "ApiAlias", {
      zone,
      recordName: `${domainName}.`,
      target: route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(loadBalancer)),
    });
  }

  private database(vpc: ec2.IVpc, group: ec2.ISecurityGroup, settings: ApiSettings) {
    const database = new rds.DatabaseInstance(this, "Database", {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
      instanceType: new ec2.InstanceType(settings.databaseInstanceClass),
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [group],
      databaseName: DATABASE_NAME,
      credentials: rds.Credentials.fromGeneratedSecret(DATABASE_USER),
      publiclyAccessible: false,
      storageEncrypted: true,
      allocatedStorage: settings.databaseStorageGiB,
      maxAllocatedStorage: settings.databaseStorageGiB * 5,
      multiAz: settings.databaseMultiAz,
      backupRetention: Duration.days(7),
      deletionProtection: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
    });
    const secret = database.secret;
    if (!secret) throw new Error("the database's generated secret is missing");
    return { database, secret };
  }

  /** The API's container: its settings in the environment, its secrets from Secrets Manager. */
  private apiTask(
    settings: ApiSettings,
    database: rds.DatabaseInstance,
    from: {
      databaseSecret: secretsmanager.ISecret;
      enrollSecret: secretsmanager.ISecret;
      adminToken: secretsmanager.ISecret;
      logGroup: logs.ILogGroup;
    },
  ) {
    const { databaseSecret, enrollSecret, adminToken, logGroup } = from;
    const task = new ecs.FargateTaskDefinition(this, "ApiTask", {
      cpu: 512,
      memoryLimitMiB: 1024,
      runtimePlatform: {
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
      },
    });
    task.addVolume({ name: "data" });
    const container = task.addContainer("api", {
      image: this.containerImage(settings.image),
      portMappings: [{ containerPort: API_PORT, name: "http" }],
      readonlyRootFilesystem: true,
      environment: {
        HOST: "0.0.0.0",
        PORT: String(API_PORT),
        // The password comes from PGPASSWORD. RDS requires TLS; its certificate authority
        // is not in the image, so the connection is encrypted without verifying the server
        // (the database admits the API tasks' security group only).
        DATABASE_URL: `postgres://${DATABASE_USER}@${database.dbInstanceEndpointAddress}:${database.dbInstanceEndpointPort}/${DATABASE_NAME}?sslmode=no-verify`,
        COMPLIANCE_DATA_DIR: DATA_DIR,
        COMPLIANCE_TRUST_PROXY: VPC_CIDR,
        COMPLIANCE_LOCAL_AGENT: "0",
      },
      secrets: {
        PGPASSWORD: ecs.Secret.fromSecretsManager(databaseSecret, "password"),
        COMPLIANCE_ENROLL_SECRET: ecs.Secret.fromSecretsManager(enrollSecret),
        COMPLIANCE_ADMIN_TOKEN: ecs.Secret.fromSecretsManager(adminToken),
      },
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: "api" }),
      // /livez never touches the database: an outage of it does not restart the tasks.
      healthCheck: {
        command: [
          "CMD",
          "node",
          "-e",
          `fetch('http://127.0.0.1:${API_PORT}/livez').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
        ],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        startPeriod: Duration.seconds(60),
        retries: 3,
      },
    });
    container.addMountPoints({ sourceVolume: "data", containerPath: DATA_DIR, readOnly: false });

    return task;
  }

  /** Internet-facing, HTTPS only (HTTP answers with a redirect), forwarding to the tasks. */
  private loadBalancer(
    vpc: ec2.IVpc,
    group: ec2.ISecurityGroup,
    service: ecs.FargateService,
    settings: ApiSettings,
  ) {
    const loadBalancer = new elbv2.ApplicationLoadBalancer(this, "LoadBalancer", {
      vpc,
      internetFacing: true,
      securityGroup: group,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      dropInvalidHeaderFields: true,
    });
    const https = loadBalancer.addListener("Https", {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [elbv2.ListenerCertificate.fromArn(settings.certificateArn)],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      open: false,
    });
    https.addTargets("Api", {
      port: API_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [service],
      deregistrationDelay: Duration.seconds(30),
      healthCheck: {
        path: "/readyz",
        healthyHttpCodes: "200",
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });
    loadBalancer.addRedirect({ sourcePort: 80, targetPort: 443, open: false });

    return loadBalancer;
  }

  /**
   * An image in an ECR repository is pulled with the task's execution role, which is then
   * granted that repository; any other image is pulled from its public registry.
   */
  private containerImage(uri: string): ecs.ContainerImage {
    const inEcr = ECR_IMAGE.exec(uri);
    if (!inEcr) return ecs.ContainerImage.fromRegistry(uri);
    const [, account, region, suffix, name, tag, digest] = inEcr as unknown as string[];
    const partition = suffix ? "aws-cn" : "aws";
    const repository = ecr.Repository.fromRepositoryAttributes(this, "ImageRepository", {
      repositoryName: name as string,
      repositoryArn: `arn:${partition}:ecr:${region}:${account}:repository/${name}`,
    });
    return ecs.ContainerImage.fromEcrRepository(repository, digest ?? tag ?? "latest");
  }

  private securityGroup(vpc: ec2.IVpc, id: string, props: Omit<ec2.SecurityGroupProps, "vpc">) {
    return new ec2.SecurityGroup(this, id, { vpc, ...props });
  }

  /** A random value kept in Secrets Manager, as the API wants its secrets (16+ characters). */
  private generatedSecret(id: string, description: string) {
    return new secretsmanager.Secret(this, id, {
      description: `Compliance API: ${description}`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
  }
}
