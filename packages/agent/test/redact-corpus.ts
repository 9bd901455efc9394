/**
 * Command lines as processes have them: ones that hold a secret, each a different shape,
 * and ones that only look as if they did. Every secret value is unique, so a test can say
 * it is gone from the output.
 */

export interface Leak {
  readonly args: readonly string[];
  /** What must not appear in the output. */
  readonly secrets: readonly string[];
  /** Parts besides the program that must stay. */
  readonly keep: readonly string[];
}

let next = 0;
/** A secret value that appears nowhere else in the corpus. */
const s = () => `Zq${String(++next).padStart(3, "0")}Vw`;

function leak(build: (...secrets: string[]) => string[], count = 1, keep: string[] = []): Leak {
  const secrets = Array.from({ length: count }, s);
  return { args: build(...secrets), secrets, keep };
}

const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVlLWhlcmU";
const GITHUB = `ghp_${"A1b2C3d4E5".repeat(3)}xYz9Qw`;

/** Command lines that hold secrets, by where the secret is. */
export const LEAK_GROUPS: Readonly<Record<string, readonly Leak[]>> = {
  // Flags named for a secret.
  "flags named for a secret": [
    leak((x) => ["mysqld", `--password=${x}`]),
    leak((x) => ["app", "--password", x, "--port", "80"], 1, ["--port 80"]),
    leak((x) => ["java", "-password", x]),
    leak((x) => ["svc", `--db-password=${x}`]),
    leak((x) => ["svc", "--api-key", x]),
    leak((x) => ["agent", `--token=${x}`]),
    leak((x) => ["agent", "--client-secret", x]),
    leak((x) => ["minio-client", `--secretKey=${x}`], 1, ["--secretKey="]),
    leak((x) => ["app", "--accessToken", x]),
    leak((x) => ["proxy", "--basic-auth", `bob:${x}`]),
    leak((x) => ["curl", "--oauth2-bearer", x, "https://api.example.com"], 1, ["https://api"]),
    leak((x) => ["gpg", "--batch", "--passphrase", x, "-d", "f.gpg"], 1, ["f.gpg"]),
    leak((x) => ["tool", "--private-key-data", x]),
    leak((x) => ["java", `-Djavax.net.ssl.keyStorePassword=${x}`, "-jar", "a.jar"], 1, ["a.jar"]),
    leak((x) => ["app", "--db.password", x]),
    leak((x) => ["node", "agent.js", "run", "--enroll-secret", x]),
    leak((x) => ["wget", "--user=bob", `--http-password=${x}`, "https://x"], 1, ["--user=bob"]),
    leak((x) => ["wget", "--proxy-password", x, "https://x"]),
    leak((x) => ["rclone", "sync", "--sftp-pass", x, "a:", "b:"]),
    leak((x) => ["rclone", "--s3-secret-access-key", x, "ls", "s3:"]),
    leak((x) => ["plink", "-pw", x, "host"], 1, ["host"]),
    leak((x) => ["consul-template", "--vault-token", x]),
    leak((x) => ["skopeo", "copy", "--src-creds", `bob:${x}`, "docker://a", "docker://b"]),
    leak((x) => ["webhookd", "--signature", x]),
    leak((x) => ["vault-agent", "--secret-id", x]),
    leak((x) => ["influx", "-username", "admin", "-password", x], 1, ["admin"]),
    leak((x) => ["java", "-jar", "app.jar", `--spring.datasource.password=${x}`]),
    leak((x) => ["node", "app.js", `--api_key=${x}`]),
    leak((x) => ["gcloud", "auth", "activate", "--credentials", x]),
  ].map(withTokens),
  // Environment assignments.
  "environment assignments": [
    leak((x) => ["env", `PGPASSWORD=${x}`, "psql", "-h", "db"], 1, ["psql -h db"]),
    leak((x) => ["env", `MYSQL_PWD=${x}`, "mysql", "-u", "root"]),
    leak((x) => ["env", `GITHUB_TOKEN=${x}`, "gh", "pr", "list"]),
    leak((x) => ["env", `SSHPASS=${x}`, "sshpass", "-e", "ssh", "host"]),
    leak((x) => ["env", `REDISCLI_AUTH=${x}`, "redis-cli", "ping"]),
    leak((x) => ["env", `RESTIC_PASSWORD=${x}`, "restic", "backup", "/srv"]),
    leak((x) => ["env", `BORG_PASSPHRASE=${x}`, "borg", "create", "::a", "/srv"]),
    leak((x) => ["docker", "run", "-e", `POSTGRES_PASSWORD=${x}`, "postgres"], 1, ["postgres"]),
    leak((x) => ["docker", "run", `--env=MYSQL_ROOT_PASSWORD=${x}`, "mariadb"]),
    leak((x) => ["kubectl", "create", "secret", "generic", "db", `--from-literal=password=${x}`]),
    leak((x) => ["env", `RSYNC_PASSWORD=${x}`, "rsync", "-a", "src/", "rsync://bob@host/mod"]),
    leak((x) => ["helm", "install", "db", "bitnami/postgresql", "--set", `auth.password=${x}`]),
  ].map(withTokens),
  // URLs with a password, tokens in query strings, connection strings.
  "URLs and connection strings": [
    leak((x) => ["pg_dump", `postgres://app:${x}@db:5432/prod`], 1, ["@db:5432/prod"]),
    leak((x) => ["mongodump", `--uri=mongodb+srv://u:${x}@cluster0.example.net/db`]),
    leak((x) => ["redis-cli", "-u", `redis://:${x}@cache:6379`]),
    leak((x) => ["git", "clone", `https://bob:${x}@example.com/repo.git`], 1, ["example.com"]),
    leak((x) => ["celery", "-b", `amqp://guest:${x}@rabbit//`, "worker"]),
    leak((x) => ["x", `--dsn=mysql://u:p@ss${x}@db/x`]),
    leak((x) => ["wget", `ftp://u:${x}@host/file.tgz`]),
    leak((x) => ["curl", `https://x/api?token=${x}&page=2`], 1, ["page=2"]),
    leak((x) => ["curl", `https://x/cb?access_token=${x}`]),
    leak((x) => ["curl", `https://b.s3.amazonaws.com/k?X-Amz-Signature=${x}&X-Amz-Expires=60`]),
    leak((x) => ["azcopy", "copy", `https://a.blob.core.windows.net/c?sv=2022&sig=${x}`, "."]),
    leak((x) => ["curl", `https://api.example.com/v1?apikey=${x}`]),
    leak((x) => ["psql", `host=db password=${x} dbname=x`], 1, ["dbname=x"]),
    leak((x) => ["psql", `postgresql://u:${x}@h/db`]),
    leak((x) => ["mount", "-o", `username=bob,password=${x},vers=3`, "//s/x", "/mnt"], 1, [
      "vers=3",
    ]),
    leak((x) => ["mount.cifs", "//s/x", "/mnt", "-o", `user=bob,pass=${x}`]),
    leak(() => ["git", "clone", `https://${GITHUB}@github.com/o/r.git`], 0, ["github.com/o/r"]),
  ].map(withTokens),
  // Headers.
  headers: [
    leak((x) => ["curl", "-H", `Authorization: Bearer ${x}`, "https://x"], 1, ["Authorization:"]),
    leak((x) => ["curl", "-H", `Authorization: Basic ${x}`, "https://x"]),
    leak((x) => ["curl", "-H", `X-Api-Key: ${x}`, "https://x"]),
    leak((x) => ["curl", "-H", `Cookie: session=${x}; theme=dark`, "https://x"]),
    leak((x) => ["curl", "-H", `X-Auth-Token:${x}`, "https://x"]),
    leak((x) => ["curl", "-H", `PRIVATE-TOKEN: ${x}`, "https://gitlab.example.com/api"]),
    leak((x) => ["curl", "-H", `Proxy-Authorization: Basic ${x}`, "https://x"]),
    leak((x) => ["curl", "-H", `X-Vault-Token: ${x}`, "https://vault:8200/v1/x"]),
    leak((x) => ["wget", `--header=Authorization: Bearer ${x}`, "https://x"], 1, ["--header="]),
    leak((x) => ["wget", `--header=Authorization:token ${x}`, "https://x"]),
    leak((x) => ["wget", "--header", `Authorization: Basic ${x}`, "https://x"]),
    leak((x) => ["curl", "-H", "Authorization:", "Bearer", x, "https://x"], 1, ["https://x"]),
  ].map(withTokens),
  // Bodies: JSON, forms, XML, Python.
  "request bodies": [
    leak((x) => ["curl", "-d", `{"password":"${x}"}`, "https://x"], 1, ['"password"']),
    leak((x) => ["curl", "-d", `{"token": "${x}"}`, "https://x"]),
    leak((x) => ["curl", "--data", `{"user":"a","client_secret":"${x}"}`], 1, ['"user":"a"']),
    leak((x) => ["curl", "--json", `{"apiKey":"${x}","n":1}`, "https://x"]),
    leak((x) => ["curl", "-d", `username=bob&password=${x}`, "https://x"], 1, ["username=bob"]),
    leak((x) => ["curl", "--data-urlencode", `password=${x}`, "https://x"]),
    leak((x) => ["curl", "-F", `password=${x}`, "https://x"]),
    leak((x) => ["python3", "-c", `login({'password': '${x}'})`]),
    leak((x) => ["app", `{\\"apiKey\\":\\"${x}\\"}`]),
    leak((x) => ["curl", "-d", `<login><user>bob</user><password>${x}</password></login>`]),
    leak((x) => ["curl", "--data-binary", `{"auth":{"token":"${x}"}}`]),
  ].map(withTokens),
  // Scripts: sh -c, bash -c, su -c, ssh, watch, and their words as macOS's ps splits them.
  "shell scripts": [
    leak((x) => ["sh", "-c", `mysql -p${x} -e 'select 1'`], 1, ["select 1"]),
    leak((x) => ["bash", "-c", `curl -u user:${x} https://x`], 1, ["user:"]),
    leak((x) => ["bash", "-lc", `PGPASSWORD=${x} pg_dump db > /backup/db.sql`]),
    leak((x) => ["sh", "-c", `sshpass -p ${x} ssh host uptime`]),
    leak((x) => ["sh", "-c", `echo hi && redis-cli -a '${x}' ping`], 1, ["echo hi &&"]),
    leak((x) => ["sudo", "sh", "-c", `mysql -uroot -p"${x}" < /tmp/init.sql`]),
    leak((x) => ["bash", "-c", `docker login -u bob -p ${x} registry.example.com`]),
    leak((x) => ["sh", "-c", `result=$(mysql -p${x} -e 'select 1'); echo $result`]),
    leak((x) => ["sh", "-c", "mysql", `-p${x}`, "-e", "select"]),
    leak((x) => ["su", "-c", `mysql -p${x} shop`, "postgres"]),
    leak((x) => ["ssh", "host", `mysql -p${x} -e 'show databases'`]),
    leak((x) => ["watch", `curl -H 'Authorization: Bearer ${x}' https://x`]),
    leak((x) => ["sh", "-c", `bash -c 'sshpass -p ${x} ssh h'`]),
    leak((x) => ["bash", "-c", `export AWS_SECRET_ACCESS_KEY=${x}; aws s3 ls`], 1, ["aws s3 ls"]),
    leak((x) => ["sh", "-c", `curl -H "Authorization: Bearer ${x}" https://x`]),
    leak((x) => ["sh", "-c", `curl -d "{\\"password\\":\\"${x}\\"}" https://x`]),
    leak((x) => ["sh", "-c", `curl -H 'Cookie: session=${x}' https://x`]),
    leak((x) => ["sh", "-ec", `aws configure set aws_secret_access_key ${x}`]),
  ].map(withTokens),
  // Each program's own flags.
  "each program's own flags": [
    leak((x) => ["/usr/bin/mysql", "-u", "root", `-p${x}`, "db"], 1, ["-u root", "db"]),
    leak((x) => ["mysqldump", "-uroot", `-p${x}`, "shop"]),
    leak((x) => ["mariadb", `-p${x}`]),
    leak((x) => ["mysql", `--password=${x}`]),
    leak((x) => ["mysqladmin", "-uroot", "password", x]),
    leak((x) => ["mongosh", "-u", "admin", "-p", x], 1, ["-u admin"]),
    leak((x) => ["mongo", "admin", "-u", "root", "--password", x]),
    leak((x) => ["sqlcmd", "-S", "db", "-U", "sa", "-P", x], 1, ["-U sa"]),
    leak((x) => ["sqlcmd", "-S", "db", "-U", "sa", `-P${x}`]),
    leak((x) => ["bcp", "t", "out", "f.dat", "-U", "sa", "-P", x]),
    leak((x) => ["ldapsearch", "-x", "-D", "cn=admin,dc=x", "-w", x, "-b", "dc=x"], 1, [
      "cn=admin",
    ]),
    leak((x) => ["ldapmodify", "-D", "cn=admin", `-w${x}`, "-f", "a.ldif"]),
    leak((x) => ["ldappasswd", "-D", "cn=admin", "-W", "-s", x, "uid=bob"]),
    leak((x) => ["smbclient", "-U", `user%${x}`, "//srv/share"], 1, ["user%"]),
    leak((x) => ["smbclient", "//srv/share", x, "-U", "bob"], 1, ["//srv/share", "-U bob"]),
    leak((x) => ["smbclient", `--user=bob%${x}`, "-L", "srv"]),
    leak((x) => ["rpcclient", `-Ubob%${x}`, "srv"]),
    leak((x) => ["keytool", "-list", "-keystore", "k.jks", "-storepass", x], 1, ["k.jks"]),
    leak((x, y) => ["keytool", "-importkeystore", "-srcstorepass", x, "-deststorepass", y], 2),
    leak((x) => ["keytool", "-storepasswd", "-new", x, "-keystore", "k.jks"]),
    leak((x) => ["jarsigner", "-keystore", "k.jks", "-keypass", x, "a.jar", "me"]),
    leak((x) => ["zip", "-P", x, "archive.zip", "file"], 1, ["archive.zip"]),
    leak((x) => ["unzip", "-P", x, "archive.zip"]),
    leak((x) => ["7z", "x", `-p${x}`, "archive.7z"], 1, ["archive.7z"]),
    leak((x) => ["7za", "a", `-p${x}`, "out.7z", "dir"]),
    leak((x) => ["unrar", "x", `-p${x}`, "a.rar"]),
    leak((x) => ["htpasswd", "-b", "/etc/nginx/htpasswd", "bob", x], 1, ["bob"]),
    leak((x) => ["htpasswd", "-nb", "bob", x]),
    leak((x) => ["htpasswd", "-cbB", "f", "bob", x]),
    leak((x) => ["sshpass", "-p", x, "ssh", "host"], 1, ["ssh host"]),
    leak((x) => ["sshpass", `-p${x}`, "scp", "a", "h:"]),
    leak((x) => ["redis-cli", "-a", x, "ping"], 1, ["ping"]),
    leak((x) => ["redis-cli", "--pass", x, "info"]),
    leak((x) => ["openssl", "enc", "-aes-256-cbc", "-pass", `pass:${x}`, "-in", "f"], 1, ["-in f"]),
    leak((x, y) => ["openssl", "pkcs12", "-passin", `pass:${x}`, "-passout", `pass:${y}`], 2),
    leak((x) => ["openssl", "enc", "-d", "-k", x, "-in", "f"]),
    leak((x) => ["curl", "-u", `bob:${x}`, "https://x"], 1, ["bob:"]),
    leak((x) => ["curl", `--user=bob:${x}`, "https://x"]),
    leak((x) => ["curl", `-ubob:${x}`, "https://x"]),
    leak((x) => ["curl", "-U", `proxyuser:${x}`, "-x", "proxy:3128", "https://x"]),
    leak((x) => ["curl", "-b", `session=${x}`, "https://x"]),
    leak((x) => ["lftp", "-u", `bob,${x}`, "ftp.example.com"], 1, ["bob,"]),
    leak((x) => ["docker", "login", "-u", "bob", "-p", x, "registry"], 1, ["registry"]),
    leak((x) => ["podman", "login", "--password", x, "quay.io"]),
    leak((x) => ["helm", "registry", "login", "-u", "bob", "-p", x, "r.example.com"]),
    leak((x) => [
      "ipmitool",
      "-I",
      "lanplus",
      "-H",
      "bmc",
      "-U",
      "admin",
      "-P",
      x,
      "power",
      "status",
    ]),
    leak((x) => ["mosquitto_pub", "-u", "u", "-P", x, "-t", "t", "-m", "m"]),
    leak((x, y) => ["snmpwalk", "-v3", "-u", "u", "-A", x, "-X", y, "host"], 2),
    leak((x) => ["snmpwalk", "-v2c", "-c", x, "switch1"], 1, ["switch1"]),
    leak((x) => ["sqlplus", `scott/${x}@orcl`], 1, ["scott/", "@orcl"]),
    leak((x) => ["expdp", `userid=scott/${x}`, "directory=d", "dumpfile=f.dmp"]),
    leak((x) => ["usermod", "-p", x, "bob"]),
    leak((x) => ["rabbitmqctl", "add_user", "bob", x], 1, ["add_user bob"]),
    leak((x) => ["rabbitmqctl", "change_password", "bob", x]),
    leak((x) => ["neo4j-admin", "dbms", "set-initial-password", x]),
    leak((x) => ["vault", "login", x]),
    leak((x) => ["wpa_passphrase", "home-wifi", x], 1, ["home-wifi"]),
    leak((x) => ["gh", "secret", "set", "DEPLOY_KEY", "--body", x], 1, ["DEPLOY_KEY"]),
    leak((x) => ["aws", "configure", "set", "aws_secret_access_key", x], 1, [
      "aws_secret_access_key",
    ]),
    leak((x) => ["npm", "config", "set", "//registry.npmjs.org/:_authToken", x]),
    leak((x) => ["npm", "config", "set", `//registry.npmjs.org/:_authToken=${x}`]),
    leak((x) => ["git", "config", "--global", "user.password", x]),
    leak((x) => ["nmcli", "con", "modify", "home", "wifi-sec.psk", x]),
    leak((x) => ["dotnet", "user-secrets", "set", "Db:Password", x]),
  ].map(withTokens),
  // Programs run by other programs.
  "programs run by other programs": [
    leak((x) => ["sudo", "-u", "mysql", "mysql", `-p${x}`]),
    leak((x) => ["docker", "exec", "db", "mysql", `-p${x}`, "shop"], 1, ["exec db"]),
    leak((x) => ["kubectl", "exec", "pod", "--", "mysql", `-p${x}`]),
    leak((x) => ["timeout", "10", "sshpass", "-p", x, "ssh", "h"]),
    leak((x) => ["sudo", "-u", "postgres", "psql", `postgresql://u:${x}@h/db`]),
  ].map(withTokens),
  // Tokens known by their form, and keys.
  "tokens known by their form": [
    leak(() => ["app", "--jwt", JWT], 0, ["--jwt"]),
    leak(() => ["slackcat", "--channel", "ops", `xoxb-123456789012-${"a1B2c3D4e5".repeat(2)}`], 0),
    leak(() => ["glab", "auth", `glpat-${"Ab12Cd34Ef".repeat(2)}`], 0),
    leak(() => ["npm", "publish", `--otp-token-thing=npm_${"Ab12Cd34Ef".repeat(4)}`], 0),
    leak(() => ["billing", `sk_live_${"Ab12Cd34".repeat(3)}`], 0),
    leak(
      () => [
        "deploy",
        "--key-data",
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADAN\n-----END PRIVATE KEY-----",
      ],
      0,
    ),
  ].map(withTokens),
};

export const LEAKS: readonly Leak[] = Object.values(LEAK_GROUPS).flat();

/** A case whose secret is known by its form gets the token as its secret. */
function withTokens(c: Leak): Leak {
  return c.secrets.length > 0 ? c : { ...c, secrets: tokensOf(c.args) };
}

/** For the cases whose secret is known by its form: the argument (or part of it) that is the token. */
function tokensOf(args: readonly string[]): string[] {
  const last = args.at(-1)!;
  const token =
    /(ghp_\w+|eyJ[\w.-]+|xox\w-[\w-]+|glpat-[\w-]+|npm_\w+|sk_live_\w+|MIIEvQIBADAN)/.exec(
      args.join(" "),
    );
  return [token?.[1] ?? last];
}

/** Command lines that hold no secret and must come out exactly as they went in. */
export const LOOK_ALIKES: readonly (readonly string[])[] = [
  ["ssh", "-p", "2222", "host"],
  ["kube-apiserver", "--authorization-mode=Node,RBAC"],
  ["llm", "--token-count", "5"],
  ["app", "--no-password-prompt", "interactive"],
  ["app", "--enable-auth", "true"],
  ["git", "--credential-helper=store"],
  ["git", "config", "--global", "credential.helper", "store"],
  ["mysql", "-u", "root", "-p", "db"],
  ["docker", "login", "--password-stdin", "-u", "bob"],
  ["app", "--password-file", "/run/secrets/pw"],
  ["llm", "--max-tokens=100", "--tokenizer", "bert", "--bypass=1", "--auth-required"],
  ["env", "PWD=/home/x", "ls"],
  ["git", "clone", "https://github.com/a/b.git"],
  ["curl", "-H", "Content-Type: application/json", "https://x"],
  ["curl", "-d", '{"username":"bob","mode":"fast"}', "https://x"],
  ["docker", "run", "-p", "8080:80", "nginx"],
  ["scp", "-P", "2222", "file", "host:/tmp"],
  ["grep", "-P", "\\d+", "file"],
  ["tar", "-czf", "a.tgz", "dir"],
  ["psql", "-h", "db", "-U", "app", "-d", "prod"],
  ["mongosh", "--host", "db", "-u", "admin", "-p", "--authenticationDatabase", "admin"],
  ["ssh", "-i", "/home/bob/.ssh/id_ed25519", "bob@host"],
  ["rsync", "-avz", "-e", "ssh", "src/", "bob@host:/dst"],
  ["sh", "-c", "ls -la /tmp && echo done"],
  ["bash", "-c", "for i in 1 2 3; do echo $i; done"],
  ["zip", "-r", "archive.zip", "dir"],
  ["7z", "x", "archive.7z", "-o/tmp"],
  ["unzip", "-l", "archive.zip"],
  ["htpasswd", "-c", "/etc/htpasswd", "bob"],
  ["openssl", "x509", "-in", "cert.pem", "-noout", "-text"],
  ["openssl", "rsa", "-in", "key.pem", "-passin", "env:KEY_PASS"],
  ["openssl", "pkcs12", "-passin", "file:/run/pw", "-in", "a.p12"],
  ["redis-cli", "-h", "cache", "-p", "6379", "ping"],
  ["keytool", "-list", "-keystore", "ks.jks"],
  ["ldapsearch", "-x", "-H", "ldap://h", "-b", "dc=x", "-W"],
  ["smbclient", "-L", "//srv", "-U", "bob"],
  ["curl", "-u", "bob", "https://x"],
  ["sqlcmd", "-S", "db", "-E"],
  ["kube-apiserver", "--token-auth-file=/etc/tokens.csv"],
  ["aws", "configure", "get", "region"],
  ["aws", "configure", "set", "region", "eu-west-1"],
  ["npm", "config", "set", "registry", "https://registry.npmjs.org/"],
  ["git", "config", "user.name", "Bob"],
  ["nmcli", "con", "modify", "home", "wifi.ssid", "home"],
  ["chromium", "--password-store=basic"],
  ["operator", "--secret-name=db-creds"],
  ["proxy", "--auth-type=basic"],
  ["vault-agent", "--token-ttl", "3600"],
  ["app", "--api-key-id", "42"],
  ["app", "--secrets-dir=/run/secrets"],
  ["curl", "--cookie-jar", "/tmp/c", "https://x"],
  ["app", "--passthrough", "--bypass-cache"],
  ["node", "server.js", "--port=3000", "--host=0.0.0.0"],
  ["java", "-Xmx2g", "-Dfile.encoding=UTF-8", "-jar", "app.jar"],
  ["python3", "-m", "http.server", "8000"],
  ["nginx: worker process"],
  ["postgres: app prod 10.0.0.5(5432) idle"],
  ["sshd: bob@pts/0"],
  ["/usr/sbin/sshd", "-D", "-o", "PasswordAuthentication=no"],
  ["ssh", "-o", "StrictHostKeyChecking=no", "host"],
  ["systemctl", "status", "sshd"],
  ["app", "--max-password-length=64"],
  ["app", "--token-expiry", "1h"],
  ["curl", "https://example.com/path?page=2&sort=asc"],
  ["echo", "hello: world"],
  ["ls", "/var/lib/secret"],
  ["kubelet", "--authentication-token-webhook=true"],
  ["kubelet", "--client-ca-file=/etc/kubernetes/pki/ca.crt"],
  ["kube-apiserver", "--service-account-key-file=/etc/sa.pub"],
  ["kube-apiserver", "--enable-bootstrap-token-auth=true"],
  ["kube-apiserver", "--tls-private-key-file=/etc/apiserver.key"],
  ["gpg", "--pinentry-mode", "loopback", "--passphrase-file", "/run/pw"],
  ["gpg", "--batch", "--passphrase-fd", "0"],
  ["app", "--password-command", "pass show db"],
  ["sudo", "-u", "postgres", "psql", "-c", "select 1"],
  ["watch", "-n", "5", "mysql -e 'show processlist'"],
  ["ssh", "host", "sudo systemctl restart nginx"],
  ["sh", "-c", 'echo "$HOME" | tr a-z A-Z'],
  ["curl", "-H", "Accept: application/json", "-b", "/tmp/cookies.txt", "https://x"],
  ["mysql", "--password", "--host", "db"],
];
