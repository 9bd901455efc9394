import type { ReportPackage } from "@compliance/contract";
import { seeded } from "./seeded.ts";

/**
 * Installed packages of a Debian 12 server, as dpkg lists them: the base system and the
 * usual server packages with versions written the way Debian writes them (epochs, `+dfsg`,
 * `~deb12u1` stable updates, `+b1` binary rebuilds), then as many more as asked, made from
 * library, Perl, Python, font and tool names in Debian's naming patterns. Deterministic:
 * the same seed gives the same list.
 */

/** Packages every host has, with a realistic version: `name version [arch]` (arch amd64 unless given). */
const BASE = `
adduser 3.134 all
apt 2.6.1
apt-utils 2.6.1
auditd 1:3.0.9-1
base-files 12.4+deb12u6
base-passwd 3.6.1
bash 5.2.15-2+b7
bash-completion 1:2.11-6 all
bsdutils 1:2.38.1-5+deb12u1
bzip2 1.0.8-5+b1
ca-certificates 20230311 all
coreutils 9.1-1
cpio 2.13+dfsg-7.1
cron 3.0pl1-162
cron-daemon-common 3.0pl1-162 all
curl 7.88.1-10+deb12u7
dash 0.5.12-2
dbus 1.14.10-1~deb12u1
debconf 1.5.82 all
debian-archive-keyring 2023.3+deb12u1 all
debianutils 5.7-0.5~deb12u1
diffutils 1:3.8-4
dmidecode 3.4-1
dpkg 1.21.22
e2fsprogs 1.47.0-2
fdisk 2.38.1-5+deb12u1
findutils 4.9.0-4
gcc-12-base 12.2.0-14
gpgv 2.2.40-1.1
grep 3.8-5
gzip 1.12-1
hostname 3.23+nmu1
ifupdown 0.8.41
init 1.65.2
init-system-helpers 1.65.2 all
iproute2 6.1.0-3
iputils-ping 3:20221126-1
isc-dhcp-client 4.4.3-P1-2
kmod 30+20221128-1
less 590-2.1~deb12u2
libacl1 2.3.1-3
libapparmor1 3.0.8-3
libapt-pkg6.0 2.6.1
libattr1 1:2.5.1-4
libaudit-common 1:3.0.9-1 all
libaudit1 1:3.0.9-1
libblkid1 2.38.1-5+deb12u1
libbpf1 1:1.1.0-1
libbz2-1.0 1.0.8-5+b1
libc-bin 2.36-9+deb12u8
libc6 2.36-9+deb12u8
libcap-ng0 0.8.3-1+b3
libcap2 1:2.66-4
libcom-err2 1.47.0-2
libcrypt1 1:4.4.33-2
libcurl4 7.88.1-10+deb12u7
libdb5.3 5.3.28+dfsg2-1
libdebconfclient0 0.270
libexpat1 2.5.0-1+deb12u1
libext2fs2 1.47.0-2
libffi8 3.4.4-1
libgcc-s1 12.2.0-14
libgcrypt20 1.10.1-3
libgmp10 2:6.2.1+dfsg1-1.1
libgnutls30 3.7.9-2+deb12u3
libgpg-error0 1.46-1
libgssapi-krb5-2 1.20.1-2+deb12u2
libhogweed6 3.8.1-2
libidn2-0 2.3.3-1+b1
libk5crypto3 1.20.1-2+deb12u2
libkeyutils1 1.6.3-2
libkrb5-3 1.20.1-2+deb12u2
libkrb5support0 1.20.1-2+deb12u2
libldap-2.5-0 2.5.13+dfsg-5
liblz4-1 1.9.4-1
liblzma5 5.4.1-0.2
libmd0 1.0.4-2
libmnl0 1.0.4-3
libmount1 2.38.1-5+deb12u1
libncursesw6 6.4-4
libnettle8 3.8.1-2
libnghttp2-14 1.52.0-1+deb12u1
libp11-kit0 0.24.1-2
libpam-modules 1.5.2-6+deb12u1
libpam-modules-bin 1.5.2-6+deb12u1
libpam-runtime 1.5.2-6+deb12u1 all
libpam0g 1.5.2-6+deb12u1
libpcre2-8-0 10.42-1
libpsl5 0.21.2-1
libreadline8 8.2-1.3
librtmp1 2.4+20151223.gitfa8646d.1-2+b2
libsasl2-2 2.1.28+dfsg-10
libseccomp2 2.5.4-1+b3
libselinux1 3.4-1+b6
libsemanage2 3.4-1+b5
libsepol2 3.4-2.1
libsmartcols1 2.38.1-5+deb12u1
libsqlite3-0 3.40.1-2+deb12u1
libss2 1.47.0-2
libssh2-1 1.10.0-3+b1
libssl3 3.0.15-1~deb12u1
libstdc++6 12.2.0-14
libsystemd-shared 252.30-1~deb12u2
libsystemd0 252.30-1~deb12u2
libtasn1-6 4.19.0-2
libtinfo6 6.4-4
libudev1 252.30-1~deb12u2
libunistring2 1.0-2
libuuid1 2.38.1-5+deb12u1
libwrap0 7.6.q-32
libxtables12 1.8.9-2
libxxhash0 0.8.1-1
libzstd1 1.5.4+dfsg2-5
login 1:4.13+dfsg1-1+b1
logrotate 3.21.0-1
logsave 1.47.0-2
lsb-base 11.6 all
mawk 1.3.4.20200120-3.1
mount 2.38.1-5+deb12u1
nano 7.2-1+deb12u1
ncurses-base 6.4-4 all
ncurses-bin 6.4-4
netbase 6.4 all
nftables 1.0.6-2+deb12u2
openssh-client 1:9.2p1-2+deb12u3
openssh-server 1:9.2p1-2+deb12u3
openssh-sftp-server 1:9.2p1-2+deb12u3
openssl 3.0.15-1~deb12u1
passwd 1:4.13+dfsg1-1+b1
perl-base 5.36.0-7+deb12u1
procps 2:4.0.2-3
python3 3.11.2-1+b1
python3-minimal 3.11.2-1+b1
python3.11 3.11.2-6+deb12u3
python3.11-minimal 3.11.2-6+deb12u3
readline-common 8.2-1.3 all
rsyslog 8.2302.0-1
sed 4.9-1
sensible-utils 0.0.17+nmu1 all
sudo 1.9.13p3-1+deb12u1
systemd 252.30-1~deb12u2
systemd-sysv 252.30-1~deb12u2
systemd-timesyncd 252.30-1~deb12u2
sysvinit-utils 3.06-4
tar 1.34+dfsg-1.2+deb12u1
tzdata 2024a-0+deb12u1 all
ucf 3.0043+nmu1+deb12u1 all
udev 252.30-1~deb12u2
unattended-upgrades 2.9.1+nmu3 all
util-linux 2.38.1-5+deb12u1
vim-common 2:9.0.1378-2 all
vim-tiny 2:9.0.1378-2
wget 1.21.3-1+b2
whiptail 0.52.23-1+b1
xz-utils 5.4.1-0.2
zlib1g 1:1.2.13.dfsg-1
`;

/** Stems of the generated packages: real upstream names Debian packages libraries and tools for. */
const STEMS = (
  "xml2 xslt yaml jansson json-c icu72 pcre3 onig5 gd3 png16 jpeg62 tiff6 webp7 freetype6 " +
  "fontconfig1 harfbuzz0b cairo2 pango-1.0 glib2.0 gdk-pixbuf gtk-3 x11-6 xext6 xrender1 xau6 " +
  "xdmcp6 xcb1 xml-parser uri http-date lwp-mediatypes html-parser html-tagset io-socket-ssl " +
  "net-ssleay mailtools timedate encode-locale file-listing try-tiny error dbi dbd-pg term-readkey " +
  "requests urllib3 idna chardet certifi six setuptools pkg-resources yaml-py jinja2 markupsafe " +
  "cryptography cffi pycparser dateutil tz babel docutils pygments click colorama attr " +
  "event-2.1 ev4 uv1 curl3-gnutls rtmp psl ssh-4 gssapi3 sasl2-modules ldap-common " +
  "nss3 nspr4 p11 tasn1 unbound8 dns-sd avahi-client3 avahi-common3 cups2 cupsimage2 " +
  "pq5 mariadb3 sqlite3-dev hiredis0.14 mongoc bson memcached11 zmq5 sodium23 " +
  "protobuf32 grpc29 snappy1v5 lz4-dev brotli1 zstd-dev bz2-dev lzo2-2 archive13 " +
  "magic1 mpfr6 mpc3 isl23 gomp1 atomic1 quadmath0 asan8 ubsan1 tsan2 lsan0 itm1 " +
  "elf1 dw1 unwind8 bfd binutils-common ctf0 ctf-nobfd0 gprofng0 jansson4 " +
  "numa1 hwloc15 pciaccess0 drm2 drm-common usb-1.0-0 udev-dev input10 evdev2 mtdev1 " +
  "wacom9 gudev-1.0-0 polkit-gobject-1-0 duktape207 mozjs-102 girepository-1.0-1 " +
  "apparmor ufw fail2ban iptables ipset conntrack ethtool tcpdump strace ltrace lsof htop " +
  "iotop sysstat ncdu tmux screen git git-man patch make gcc-12 cpp-12 g++-12 " +
  "build-essential pkg-config autoconf automake libtool m4 bison flex gettext-base " +
  "gnupg dirmngr gpg-agent gpgsm pinentry-curses gpgconf keyboxd gpg-wks-client " +
  "rsync openssh-known-hosts bind9-host bind9-libs dnsutils whois netcat-openbsd socat " +
  "nmap ncat nginx-common postgresql-client-15 postgresql-common redis-tools " +
  "docker-ce containerd.io runc pigz jq moreutils pv tree unzip zip p7zip file " +
  "man-db manpages groff-base bsdextrautils libpipeline1 gawk sharutils time ed"
).split(" ");

const FAMILIES: { name: (stem: string, n: number) => string; arch?: string }[] = [
  { name: (s) => `${s}` },
  { name: (s) => `lib${s}` },
  { name: (s, n) => `lib${s}-${n}` },
  { name: (s) => `lib${s}-dev` },
  { name: (s) => `${s}-bin` },
  { name: (s) => `${s}-utils` },
  { name: (s) => `${s}-tools` },
  { name: (s, n) => `lib${s}${n}-plugins` },
  { name: (s) => `${s}-common`, arch: "all" },
  { name: (s) => `python3-${s}`, arch: "all" },
  { name: (s) => `lib${s}-perl`, arch: "all" },
  { name: (s) => `${s}-doc`, arch: "all" },
  { name: (s) => `${s}-data`, arch: "all" },
];

/** A version the way Debian writes one: `[epoch:]upstream[+dfsg]-revision[~debNNuN][+bN]`. */
export function debianVersion(rng: () => number): string {
  const pick = (n: number) => Math.floor(rng() * n);
  const upstream =
    rng() < 0.15
      ? `${2000 + pick(24)}${String(1 + pick(12)).padStart(2, "0")}${String(1 + pick(28)).padStart(2, "0")}`
      : `${pick(12)}.${pick(40)}${rng() < 0.7 ? `.${pick(30)}` : ""}`;
  const epoch = rng() < 0.1 ? `${1 + pick(3)}:` : "";
  const dfsg = rng() < 0.12 ? "+dfsg" : "";
  const revision = `${1 + pick(6)}${rng() < 0.25 ? `.${1 + pick(3)}` : ""}`;
  const stable = rng() < 0.12 ? `~deb12u${1 + pick(4)}` : "";
  const rebuild = rng() < 0.15 ? `+b${1 + pick(5)}` : "";
  return `${epoch}${upstream}${dfsg}-${revision}${stable}${rebuild}`;
}

/** The next version of a package, as a stable update or a point release writes it. */
export function upgradedVersion(version: string): string {
  const m = /~deb12u(\d+)/.exec(version);
  if (m) return version.replace(/~deb12u\d+/, `~deb12u${Number(m[1]) + 1}`);
  const b = /\+b(\d+)$/.exec(version);
  if (b) return version.replace(/\+b\d+$/, `+b${Number(b[1]) + 1}`);
  return `${version}+deb12u1`;
}

const BASE_PACKAGES: ReportPackage[] = BASE.trim()
  .split("\n")
  .map((line) => {
    const [name, version, arch] = line.trim().split(" ") as [string, string, string | undefined];
    return { name, version, arch: arch ?? "amd64", source: "deb" };
  });

/**
 * `count` installed packages (at least the base system), sorted by name as dpkg lists them.
 * Hosts of one seed share their list; other seeds pick other extras, as servers of
 * different roles do.
 */
export function debianPackages(count: number, seed = 1): ReportPackage[] {
  const rng = seeded(seed);
  const byName = new Map(BASE_PACKAGES.map((p) => [p.name, { ...p }]));
  const generated = seeded(7);
  // Every host draws from the same catalogue (same names, same versions), in its own order.
  const catalogue: ReportPackage[] = [];
  const seen = new Set(byName.keys());
  for (const stem of STEMS) {
    // Binary packages of one source package share its version.
    const version = debianVersion(generated);
    for (const family of FAMILIES) {
      const name = family
        .name(stem, 1 + Math.floor(generated() * 9))
        .toLowerCase()
        .replace(/[^a-z0-9.+-]/g, "");
      if (seen.has(name)) continue;
      seen.add(name);
      catalogue.push({ name, version, arch: family.arch ?? "amd64", source: "deb" });
    }
  }
  while (byName.size < count && catalogue.length > 0) {
    const i = Math.floor(rng() * catalogue.length);
    const p = catalogue[i]!;
    // About a fifth of a Debian server's packages are architecture-independent ("all").
    if (p.arch === "all" && rng() > 0.2) continue;
    catalogue[i] = catalogue[catalogue.length - 1]!;
    catalogue.pop();
    byName.set(p.name, { ...p });
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
