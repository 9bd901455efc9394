#!/bin/sh
# Installs the Compliance agent as a systemd service. Idempotent: running it again
# updates the program and the unit and keeps the configuration and the state.
#
#   sudo deploy/agent/install.sh --server https://compliance.example.com --enroll-secret S
#
# Options:
#   --server URL          the API's base URL (written to a new config.ini only)
#   --enroll-secret S     the enroll secret   (written to a new config.ini only)
#   --bundle FILE         the agent's single file (default: compliance-agent.js next to
#                         this script, else packages/agent/dist/compliance-agent.js)
#   --no-start            install and enable, but do not (re)start the service
#   --uninstall           stop and remove the service and the program; the configuration,
#                         the node key and the spool stay (reinstalling resumes)
#   --purge               with --uninstall: also delete them and the service user
#   -h, --help            this help
# Environment (all optional): DESTDIR (a root to install into, e.g. for packaging or a
# test; nothing outside it is touched, no user is created and systemctl is not run),
# PREFIX (/usr/local), SYSCONFDIR (/etc), LOCALSTATEDIR (/var/lib),
# UNITDIR (/etc/systemd/system), NODE (node's absolute path, default: the one on PATH),
# AGENT_USER (compliance-agent), MOUNTINFO (/proc/self/mountinfo),
# COMPLIANCE_SERVER_URL and COMPLIANCE_ENROLL_SECRET (as --server and --enroll-secret).
set -eu

say() { printf 'install.sh: %s\n' "$*"; }
die() { printf 'install.sh: error: %s\n' "$*" >&2; exit 1; }

usage() { sed -n '2,/^set -eu$/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; }

SERVER=${COMPLIANCE_SERVER_URL:-}
SECRET=${COMPLIANCE_ENROLL_SECRET:-}
BUNDLE=
START=yes
UNINSTALL=no
PURGE=no
while [ $# -gt 0 ]; do
  case $1 in
    --server) [ $# -ge 2 ] || die "--server needs a URL"; SERVER=$2; shift 2 ;;
    --enroll-secret) [ $# -ge 2 ] || die "--enroll-secret needs a value"; SECRET=$2; shift 2 ;;
    --bundle) [ $# -ge 2 ] || die "--bundle needs a file"; BUNDLE=$2; shift 2 ;;
    --no-start) START=no; shift ;;
    --uninstall) UNINSTALL=yes; shift ;;
    --purge) PURGE=yes; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}
SYSCONFDIR=${SYSCONFDIR:-/etc}
LOCALSTATEDIR=${LOCALSTATEDIR:-/var/lib}
UNITDIR=${UNITDIR:-/etc/systemd/system}
AGENT_USER=${AGENT_USER:-compliance-agent}
MOUNTINFO=${MOUNTINFO:-/proc/self/mountinfo}
HERE=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)

LIBDIR=$PREFIX/lib/compliance-agent
BINDIR=$PREFIX/bin
CONFDIR=$SYSCONFDIR/compliance-agent
STATEDIR=$LOCALSTATEDIR/compliance-agent
UNIT=$UNITDIR/compliance-agent.service

# --- uninstall -------------------------------------------------------------------------
if [ "$PURGE" = yes ] && [ "$UNINSTALL" = no ]; then die "--purge goes with --uninstall"; fi
if [ "$UNINSTALL" = yes ]; then
  if [ -z "$DESTDIR" ] && [ "$(id -u)" -ne 0 ]; then die "run as root (or set DESTDIR)"; fi
  if [ -z "$DESTDIR" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now compliance-agent.service >/dev/null 2>&1 || true
  fi
  rm -f "$DESTDIR$UNIT" "$DESTDIR$UNIT.d/proc-group.conf" "$DESTDIR$BINDIR/compliance-agent" \
    "$DESTDIR$LIBDIR/compliance-agent.js"
  rmdir "$DESTDIR$UNIT.d" "$DESTDIR$LIBDIR" 2>/dev/null || true
  if [ -z "$DESTDIR" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
  fi
  say "removed $BINDIR/compliance-agent, $LIBDIR and $UNIT"
  if [ "$PURGE" = yes ]; then
    rm -rf "$DESTDIR$CONFDIR" "$DESTDIR$STATEDIR"
    say "purged $CONFDIR and $STATEDIR"
    if [ -z "$DESTDIR" ] && getent passwd "$AGENT_USER" >/dev/null 2>&1 && command -v userdel >/dev/null 2>&1; then
      userdel "$AGENT_USER" && say "deleted the system user $AGENT_USER"
    fi
  else
    say "kept $CONFDIR (configuration) and $STATEDIR (node key, spool); --purge deletes them"
  fi
  exit 0
fi

# --- what to install ------------------------------------------------------------------
if [ -z "$BUNDLE" ]; then
  for candidate in "$HERE/compliance-agent.js" "$HERE/../../packages/agent/dist/compliance-agent.js"; do
    if [ -f "$candidate" ]; then BUNDLE=$candidate; break; fi
  done
fi
[ -n "$BUNDLE" ] && [ -f "$BUNDLE" ] || die "no agent bundle found; build it (npm run build) or pass --bundle FILE"
[ -f "$HERE/compliance-agent.service" ] || die "$HERE/compliance-agent.service is missing"
[ -f "$HERE/config.ini" ] || die "$HERE/config.ini is missing"

NODE=${NODE:-$(command -v node || true)}
[ -n "$NODE" ] && [ -x "$NODE" ] || die "node not found: install Node.js 20 or newer, or set NODE=/path/to/node"
case $NODE in /*) ;; *) die "NODE must be an absolute path, not $NODE" ;; esac
"$NODE" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
  die "$NODE is Node.js $("$NODE" --version); the agent needs 20 or newer"

if [ -z "$DESTDIR" ] && [ "$(id -u)" -ne 0 ]; then die "run as root (or set DESTDIR to install into a directory)"; fi

# --- the service user -------------------------------------------------------------------
if ! getent passwd "$AGENT_USER" >/dev/null 2>&1; then
  if [ -n "$DESTDIR" ]; then
    say "user $AGENT_USER does not exist; not created under DESTDIR, files stay owned by $(id -un)"
  elif command -v useradd >/dev/null 2>&1; then
    useradd --system --user-group --home-dir "$STATEDIR" --no-create-home \
      --shell /usr/sbin/nologin --comment "Compliance agent" "$AGENT_USER"
    say "created system user $AGENT_USER"
  elif command -v adduser >/dev/null 2>&1; then
    addgroup -S "$AGENT_USER" 2>/dev/null || true
    adduser -S -D -H -h "$STATEDIR" -s /sbin/nologin -G "$AGENT_USER" "$AGENT_USER"
    say "created system user $AGENT_USER"
  else
    die "cannot create user $AGENT_USER: no useradd or adduser"
  fi
fi
if getent passwd "$AGENT_USER" >/dev/null 2>&1; then
  OWNER=$AGENT_USER
  GROUP=$(id -gn "$AGENT_USER")
  UNIT_GROUP=$GROUP
else
  OWNER=$(id -un)
  GROUP=$(id -gn)
  # The unit is for the machine that will run it, where the user gets a group of its name
  # (as this script and the packages create it), not the group of whoever staged the files.
  UNIT_GROUP=$AGENT_USER
fi

# --- program ------------------------------------------------------------------------------
install -d -m 0755 "$DESTDIR$LIBDIR" "$DESTDIR$BINDIR"
install -m 0755 "$BUNDLE" "$DESTDIR$LIBDIR/compliance-agent.js"
ln -sfn "$LIBDIR/compliance-agent.js" "$DESTDIR$BINDIR/compliance-agent"

# --- configuration: created once, never overwritten (it holds the enroll secret) ----------
install -d -m 0750 "$DESTDIR$CONFDIR"
chown "root:$GROUP" "$DESTDIR$CONFDIR" 2>/dev/null || chgrp "$GROUP" "$DESTDIR$CONFDIR"
if [ -e "$DESTDIR$CONFDIR/config.ini" ] || [ -e "$DESTDIR$CONFDIR/config.json" ]; then
  say "kept the existing configuration in $CONFDIR"
  if [ -n "$SERVER$SECRET" ]; then say "  (--server/--enroll-secret not applied: edit the file to change them)"; fi
else
  case $SERVER$SECRET in *"
"*) die "--server and --enroll-secret must be one line each" ;; esac
  umask 027
  # The template, with the server and the secret in place of their commented examples.
  SERVER=$SERVER SECRET=$SECRET awk '
    /^# url = / && ENVIRON["SERVER"] != "" { print "url = " ENVIRON["SERVER"]; next }
    /^# enroll_secret = / && ENVIRON["SECRET"] != "" { print "enroll_secret = " ENVIRON["SECRET"]; next }
    { print }' "$HERE/config.ini" >"$DESTDIR$CONFDIR/config.ini.new"
  chmod 0640 "$DESTDIR$CONFDIR/config.ini.new"
  chown "root:$GROUP" "$DESTDIR$CONFDIR/config.ini.new" 2>/dev/null || chgrp "$GROUP" "$DESTDIR$CONFDIR/config.ini.new"
  mv "$DESTDIR$CONFDIR/config.ini.new" "$DESTDIR$CONFDIR/config.ini"
  say "wrote $CONFDIR/config.ini"
fi

# --- state: node key and spool, the service user's only --------------------------------------
install -d -m 0700 "$DESTDIR$STATEDIR"
chown "$OWNER:$GROUP" "$DESTDIR$STATEDIR"

# --- the unit, with this machine's paths ---------------------------------------------------
install -d -m 0755 "$DESTDIR$UNITDIR"
sed -e "s|^ExecStart=/usr/bin/node |ExecStart=$NODE |" -e "/^ExecStart=/s| /usr/local/lib/compliance-agent/| $LIBDIR/|" \
  -e "s|^User=.*|User=$AGENT_USER|" -e "s|^Group=.*|Group=$UNIT_GROUP|" \
  "$HERE/compliance-agent.service" >"$DESTDIR$UNIT.new"
chmod 0644 "$DESTDIR$UNIT.new"
mv "$DESTDIR$UNIT.new" "$DESTDIR$UNIT"

# --- /proc mounted with hidepid=: other users' processes are hidden from the service user ---
DROPIN=$DESTDIR$UNIT.d/proc-group.conf
hidepid=$(awk '$5 == "/proc" { n = split($0, f, " - "); print f[2] }' "$MOUNTINFO" 2>/dev/null |
  tr ', ' '\n\n' | sed -n 's/^hidepid=//p' | head -n 1)
procgid=$(awk '$5 == "/proc" { n = split($0, f, " - "); print f[2] }' "$MOUNTINFO" 2>/dev/null |
  tr ', ' '\n\n' | sed -n 's/^gid=//p' | head -n 1)
if [ -n "$hidepid" ] && [ "$hidepid" != 0 ] && [ "$hidepid" != off ]; then
  if [ -n "$procgid" ]; then
    install -d -m 0755 "$DESTDIR$UNIT.d"
    printf '# /proc is mounted with hidepid=%s,gid=%s: that group sees every process.\n[Service]\nSupplementaryGroups=%s\n' \
      "$hidepid" "$procgid" "$procgid" >"$DROPIN"
    chmod 0644 "$DROPIN"
    say "/proc has hidepid=$hidepid: the service joins its gid=$procgid group ($UNIT.d/proc-group.conf)"
  else
    say "warning: /proc has hidepid=$hidepid without gid=: the agent sees only its own processes."
    say "  Remount /proc with gid=<group> and re-run, or add AmbientCapabilities=CAP_SYS_PTRACE in a drop-in."
  fi
elif [ -e "$DROPIN" ]; then
  rm -f "$DROPIN"
fi

say "installed $BINDIR/compliance-agent ($LIBDIR/compliance-agent.js), $UNIT"

# --- systemd (not under DESTDIR) ------------------------------------------------------------
if [ -z "$DESTDIR" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable compliance-agent.service >/dev/null
  if [ "$START" = yes ]; then
    if grep -q '^url *=' "$CONFDIR/config.ini" 2>/dev/null || [ -e "$CONFDIR/config.json" ]; then
      systemctl restart compliance-agent.service
      say "started: journalctl -u compliance-agent -f"
    else
      say "not started: set [api] url (and enroll_secret) in $CONFDIR/config.ini, then: systemctl start compliance-agent"
    fi
  fi
fi
