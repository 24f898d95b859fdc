#!/usr/bin/env bash
# Start a real single-node SLURM cluster (munged + MariaDB + slurmdbd + slurmctld + slurmd) on
# localhost, for CI and for testing the Snakemake SLURM profile (profiles/slurm).
#
#   bash .ci/slurm/start.sh      # installs what is missing (Debian, root), starts, smoke-tests
#   bash .ci/slurm/stop.sh       # stops every daemon it started
#
# Idempotent: a daemon whose recorded PID is alive is left running; the munge key, the database
# and SLURM's saved state are kept across runs. Everything lives in $LQCD_SLURM_DIR
# (default /tmp/lqcd-slurm). See .ci/slurm/README.md.
set -euo pipefail

STATE="${LQCD_SLURM_DIR:-/tmp/lqcd-slurm}"
TIMEOUT="${LQCD_SLURM_TIMEOUT:-60}"     # seconds, for every wait loop
DB_PORT="${LQCD_SLURM_DB_PORT:-16033}"  # MariaDB TCP port, loopback only
CLUSTER=lqcd
ACCOUNT=lqcd
PARTITION=local

ETC="$STATE/etc" LOG="$STATE/log" RUN="$STATE/run" PIDS="$STATE/pids"
MUNGE_DIR="$STATE/munge" DB_DIR="$STATE/mariadb"
MUNGE_SOCKET="$MUNGE_DIR/run/munge.socket"
DB_SOCKET="$DB_DIR/run/mariadb.sock"
export SLURM_CONF="$ETC/slurm.conf"

t_start=$(date +%s)
say() { printf '[slurm-start %3ss] %s\n' "$(( $(date +%s) - t_start ))" "$*"; }

# fail MESSAGE [LOGFILE...]: print the message and the tail of each log, then exit 1
fail() {
    local msg=$1; shift
    echo "ERROR: $msg" >&2
    local f files=()
    for f in "$@"; do
        files+=("$f")
        # a daemon's .out file holds what it printed before it could open its log
        [[ "$f" == *.log ]] && files+=("${f%.log}.out")
    done
    for f in "${files[@]}"; do
        if [ -s "$f" ]; then
            echo "----- last 40 lines of $f -----" >&2
            tail -n 40 "$f" >&2
        fi
    done
    local stop
    stop="bash $(dirname "$0")/stop.sh"
    [ -z "${LQCD_SLURM_DIR:-}" ] || stop="LQCD_SLURM_DIR=$STATE $stop"
    echo "(state directory: $STATE; logs in $LOG; stop what did start with: $stop)" >&2
    exit 1
}

[ "$(id -u)" -eq 0 ] || fail "start.sh must run as root (it installs packages and runs the daemons)"

# ---------------------------------------------------------------------------------------------
# 1. packages
# ---------------------------------------------------------------------------------------------
need_install=0
for bin in munged mungekey mariadbd mariadb-install-db mariadb mariadb-admin slurmdbd slurmctld \
           slurmd sbatch sacct sacctmgr sinfo scontrol setpriv; do
    command -v "$bin" >/dev/null 2>&1 || { need_install=1; break; }
done
if [ "$need_install" -eq 1 ]; then
    say "installing slurm-wlm slurmdbd slurm-client munge mariadb-server with apt-get"
    # Keep the packages' maintainer scripts from starting their own daemons (Docker images
    # usually ship this policy already; if not, install it for the duration of the install).
    own_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        own_policy=1
    fi
    apt_log="$(mktemp /tmp/lqcd-slurm-apt.XXXXXX)"
    rc=0
    {
        apt-get update -q &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            slurm-wlm slurmdbd slurm-client munge mariadb-server mariadb-client util-linux
    } >"$apt_log" 2>&1 || rc=$?
    [ "$own_policy" -eq 1 ] && rm -f /usr/sbin/policy-rc.d
    [ "$rc" -eq 0 ] || fail "apt-get install failed (exit $rc)" "$apt_log"
    rm -f "$apt_log"
fi
id munge >/dev/null 2>&1 || fail "user 'munge' does not exist (the munge package should create it)"

# ---------------------------------------------------------------------------------------------
# 2. helpers for daemons
# ---------------------------------------------------------------------------------------------
mkdir -p "$STATE" "$ETC" "$LOG" "$RUN" "$PIDS" "$STATE/spool/slurmctld" "$STATE/spool/slurmd"
chmod 755 "$STATE"

# alive NAME: true if the PID recorded for NAME is a running process with the expected command
alive() {
    local f="$PIDS/$1.pid" pid comm
    [ -s "$f" ] || return 1
    pid=$(cat "$f")
    kill -0 "$pid" 2>/dev/null || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
    case "$1" in
        mariadb) [[ "$comm" == mariadbd || "$comm" == mysqld ]] ;;
        *)       [[ "$comm" == "$1" ]] ;;
    esac
}

# wait_for DESCRIPTION NAME LOGFILE COMMAND...: retry COMMAND until it succeeds, for at most
# $TIMEOUT seconds; fail (with the log tail) if it never does or the daemon NAME died.
wait_for() {
    local what=$1 name=$2 logf=$3; shift 3
    local deadline=$(( $(date +%s) + TIMEOUT ))
    until "$@" >/dev/null 2>&1; do
        if [ -n "$name" ] && ! alive "$name"; then
            fail "$name exited while waiting for: $what" "$logf"
        fi
        [ "$(date +%s)" -lt "$deadline" ] || fail "timed out after ${TIMEOUT}s waiting for: $what" "$logf"
        sleep 0.5
    done
}

# record NAME PID: remember the daemon's PID and give it a moment to die on a bad start
record() {
    echo "$2" > "$PIDS/$1.pid"
    sleep 0.3
    alive "$1" || fail "$1 exited right after start" "$LOG/$1.log"
}

# stop_daemon NAME: end a daemon that we started (its configuration changed): TERM, then KILL
stop_daemon() {
    alive "$1" || return 0
    local pid deadline
    pid=$(cat "$PIDS/$1.pid")
    say "restarting $1 (pid $pid): its configuration changed"
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$(( $(date +%s) + 20 ))
    while alive "$1" && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
    if alive "$1"; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.5; fi
    rm -f "$PIDS/$1.pid"
}

# ---------------------------------------------------------------------------------------------
# 3. munge
# ---------------------------------------------------------------------------------------------
mkdir -p "$MUNGE_DIR/etc" "$MUNGE_DIR/lib" "$MUNGE_DIR/run"
chown -R munge:munge "$MUNGE_DIR"
chmod 700 "$MUNGE_DIR/etc" "$MUNGE_DIR/lib"
chmod 755 "$MUNGE_DIR" "$MUNGE_DIR/run"
if [ ! -s "$MUNGE_DIR/etc/munge.key" ]; then
    say "generating munge key"
    setpriv --reuid=munge --regid=munge --init-groups mungekey --create --bits=1024 \
        --keyfile="$MUNGE_DIR/etc/munge.key"
fi
chmod 600 "$MUNGE_DIR/etc/munge.key"
if alive munged; then
    say "munged already running (pid $(cat "$PIDS/munged.pid"))"
else
    say "starting munged"
    rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"
    setpriv --reuid=munge --regid=munge --init-groups \
        munged -F --key-file="$MUNGE_DIR/etc/munge.key" --socket="$MUNGE_SOCKET" \
        --pid-file="$MUNGE_DIR/run/munged.pid" --seed-file="$MUNGE_DIR/lib/munged.seed" \
        >>"$LOG/munged.log" 2>&1 &   # in the foreground (-F) munged logs to stderr
    record munged $!
fi
munge_ok() { munge -n -S "$MUNGE_SOCKET" | unmunge -S "$MUNGE_SOCKET"; }
wait_for "munge credential round trip" munged "$LOG/munged.log" munge_ok

# ---------------------------------------------------------------------------------------------
# 4. MariaDB (own data directory, socket and loopback TCP port; no system service)
# ---------------------------------------------------------------------------------------------
mkdir -p "$DB_DIR/run"
chmod 700 "$DB_DIR"
if [ ! -d "$DB_DIR/data/mysql" ]; then
    say "initialising MariaDB data directory"
    rm -rf "$DB_DIR/data"
    # a new accounting DB does not know the cluster id in slurmctld's saved state: start afresh
    rm -rf "${STATE:?}/spool/slurmctld"/*
    mariadb-install-db --no-defaults --user=root --datadir="$DB_DIR/data" \
        --auth-root-authentication-method=socket --skip-test-db \
        >"$LOG/mariadb-install-db.log" 2>&1 ||
        fail "mariadb-install-db failed" "$LOG/mariadb-install-db.log"
fi
if alive mariadb; then
    say "mariadbd already running (pid $(cat "$PIDS/mariadb.pid"))"
else
    say "starting mariadbd (127.0.0.1:$DB_PORT)"
    rm -f "$DB_SOCKET"
    mariadbd --no-defaults --user=root --datadir="$DB_DIR/data" --socket="$DB_SOCKET" \
        --pid-file="$DB_DIR/run/mariadbd.pid" --bind-address=127.0.0.1 --port="$DB_PORT" \
        --log-error="$LOG/mariadb.log" \
        --innodb-buffer-pool-size=512M --innodb-lock-wait-timeout=900 --max-allowed-packet=16M \
        >"$LOG/mariadb.out" 2>&1 &
    record mariadb $!
fi
wait_for "MariaDB to answer on $DB_SOCKET" mariadb "$LOG/mariadb.log" \
    mariadb-admin --no-defaults --socket="$DB_SOCKET" -u root ping

if [ ! -s "$ETC/db.pass" ]; then
    (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$ETC/db.pass")
fi
DB_PASS=$(cat "$ETC/db.pass")
mariadb --no-defaults --socket="$DB_SOCKET" -u root >"$LOG/mariadb-setup.log" 2>&1 <<SQL ||
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
ALTER USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
ALTER USER 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
FLUSH PRIVILEGES;
SQL
    fail "could not create the slurm_acct_db database / slurm user" "$LOG/mariadb-setup.log" "$LOG/mariadb.log"

# ---------------------------------------------------------------------------------------------
# 5. SLURM configuration
# ---------------------------------------------------------------------------------------------
ncpu=$(nproc)
mem_total=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
real_mem=$(( mem_total * 95 / 100 ))   # a bit less than the machine has, or slurmd drains it
[ "$real_mem" -ge 1000 ] || fail "too little memory for a SLURM node: ${mem_total} MB"

# write_if_changed FILE MODE < content: sets CHANGED=1 if FILE was (re)written, else 0
write_if_changed() {
    local tmp
    tmp=$(mktemp "$1.XXXXXX")
    cat > "$tmp"
    chmod "$2" "$tmp"
    if [ -f "$1" ] && cmp -s "$tmp" "$1"; then
        rm -f "$tmp"; CHANGED=0
    else
        mv -f "$tmp" "$1"; CHANGED=1
    fi
}

write_if_changed "$ETC/slurm.conf" 644 <<EOF
# Generated by .ci/slurm/start.sh -- a single-node cluster on localhost. Do not edit by hand.
ClusterName=$CLUSTER
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$STATE/spool/slurmctld
SlurmdSpoolDir=$STATE/spool/slurmd
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MpiDefault=none
MailProg=/bin/true
# no cgroups: works in containers and on hosts without a delegated cgroup tree
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
# one node whose cores and memory are consumable, so jobs share it
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# without a default, a job that gives no memory request would get the whole node
DefMemPerCPU=1000
ReturnToService=2
SlurmctldTimeout=60
SlurmdTimeout=60
InactiveLimit=0
KillWait=10
MinJobAge=300
Waittime=0
# accounting through slurmdbd: sacct is what snakemake-executor-plugin-slurm polls
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=6819
# connections to slurmdbd authenticate through this munge socket (not AuthInfo)
AccountingStoragePass=$MUNGE_SOCKET
JobCompType=jobcomp/none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$ncpu RealMemory=$real_mem State=UNKNOWN
PartitionName=$PARTITION Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
slurm_conf_changed=$CHANGED

# slurmdbd refuses a config that others can read (it holds the DB password): 600, owned by
# the SlurmUser (root)
write_if_changed "$ETC/slurmdbd.conf" 600 <<EOF
# Generated by .ci/slurm/start.sh. Do not edit by hand.
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
DbdHost=localhost
DbdPort=6819
SlurmUser=root
LogFile=$LOG/slurmdbd.log
PidFile=$RUN/slurmdbd.pid
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF
dbd_conf_changed=$CHANGED
chown root:root "$ETC/slurmdbd.conf"

# Client commands (sbatch, sinfo, sacct, the Snakemake plugin) read /etc/slurm/slurm.conf unless
# SLURM_CONF is set: point it at ours unless the machine has a real configuration of its own.
cat > "$STATE/env.sh" <<EOF
# source this file to use the local cluster from a shell: . $STATE/env.sh
export SLURM_CONF=$ETC/slurm.conf
EOF
SYS_CONF=/etc/slurm/slurm.conf
linked_conf=0
if [ -L "$SYS_CONF" ] || [ ! -e "$SYS_CONF" ]; then
    mkdir -p /etc/slurm
    ln -sfn "$ETC/slurm.conf" "$SYS_CONF"
    echo "$SYS_CONF" > "$STATE/linked-conf"
    linked_conf=1
fi

# ---------------------------------------------------------------------------------------------
# 6. slurmdbd, accounting records, slurmctld, slurmd
# ---------------------------------------------------------------------------------------------
# daemons still running from an earlier start.sh pick up a changed configuration by a restart
if [ "$slurm_conf_changed" -eq 1 ]; then stop_daemon slurmd; stop_daemon slurmctld; fi
if [ "$dbd_conf_changed" -eq 1 ]; then stop_daemon slurmdbd; fi

if alive slurmdbd; then
    say "slurmdbd already running (pid $(cat "$PIDS/slurmdbd.pid"))"
else
    say "starting slurmdbd"
    slurmdbd -D >"$LOG/slurmdbd.out" 2>&1 &
    record slurmdbd $!
fi
wait_for "slurmdbd to answer (sacctmgr show cluster)" slurmdbd "$LOG/slurmdbd.log" \
    sacctmgr -n show cluster

sacct_has() { [ -n "$(sacctmgr -n -P "$@" 2>/dev/null)" ]; }
if ! sacct_has show cluster "$CLUSTER" format=cluster; then
    say "registering cluster '$CLUSTER' in the accounting database"
    sacctmgr -i add cluster "$CLUSTER" >/dev/null || fail "sacctmgr add cluster failed" "$LOG/slurmdbd.log"
fi
if ! sacct_has show account "$ACCOUNT" format=account; then
    sacctmgr -i add account "$ACCOUNT" cluster="$CLUSTER" \
        description="local test cluster" organization=lqcd >/dev/null ||
        fail "sacctmgr add account failed" "$LOG/slurmdbd.log"
fi
users=(root)
[ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ] && users+=("$SUDO_USER")
for u in "${users[@]}"; do
    if ! sacct_has show assoc where user="$u" account="$ACCOUNT" cluster="$CLUSTER" format=user; then
        say "adding user $u to account $ACCOUNT"
        sacctmgr -i add user "$u" account="$ACCOUNT" cluster="$CLUSTER" >/dev/null ||
            fail "sacctmgr add user $u failed" "$LOG/slurmdbd.log"
    fi
    sacctmgr -i modify user where name="$u" set defaultaccount="$ACCOUNT" >/dev/null 2>&1 || true
done

if alive slurmctld; then
    say "slurmctld already running (pid $(cat "$PIDS/slurmctld.pid"))"
else
    say "starting slurmctld"
    slurmctld -D >"$LOG/slurmctld.out" 2>&1 &
    record slurmctld $!
fi
wait_for "slurmctld to answer (scontrol ping)" slurmctld "$LOG/slurmctld.log" \
    bash -c 'scontrol ping | grep -q "is UP"'

if alive slurmd; then
    say "slurmd already running (pid $(cat "$PIDS/slurmd.pid"))"
else
    say "starting slurmd"
    slurmd -D -N localhost >"$LOG/slurmd.out" 2>&1 &
    record slurmd $!
fi
# idle; or busy with jobs when start.sh runs again on a cluster in use
node_idle() { [[ "$(sinfo -h -N -n localhost -o %T 2>/dev/null | head -n1)" =~ ^(idle|mixed|allocated)$ ]]; }
deadline=$(( $(date +%s) + TIMEOUT ))
until node_idle; do
    alive slurmd || fail "slurmd exited while waiting for the node to be idle" "$LOG/slurmd.log"
    [ "$(date +%s)" -lt "$deadline" ] ||
        fail "timed out after ${TIMEOUT}s waiting for node 'localhost' to be idle; sinfo says:
$(sinfo -N -o '%N %T %E' 2>&1)" "$LOG/slurmd.log" "$LOG/slurmctld.log"
    sleep 0.5
done
wait_for "sacct to answer" "" "$LOG/slurmdbd.log" sacct -n -X -S now-1hour

# ---------------------------------------------------------------------------------------------
# 7. smoke test: a batch job runs and is recorded as COMPLETED in the accounting DB
# ---------------------------------------------------------------------------------------------
say "smoke test: sbatch --wrap hostname, then sacct must say COMPLETED"
# (sbatch --wait would do, but it polls every 2-10 s; polling sacct directly is quicker)
sub=$(sbatch --parsable -J lqcd-smoke -t 2 -o "$STATE/smoke-%j.out" --wrap hostname 2>&1) ||
    fail "sbatch failed: $sub" "$LOG/slurmctld.log"
jobid=$(printf '%s\n' "${sub%%;*}" | grep -Eo '^[0-9]+$' | tail -n1)
[ -n "$jobid" ] || fail "could not parse the job id from sbatch's output: $sub"
deadline=$(( $(date +%s) + TIMEOUT ))
while :; do
    st=$(sacct -n -X -P -j "$jobid" -o State 2>/dev/null | head -n1)
    case "$st" in
        COMPLETED) break ;;
        FAILED*|CANCELLED*|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED)
            fail "smoke job $jobid ended $st: $(cat "$STATE/smoke-$jobid.out" 2>&1)" \
                "$LOG/slurmd.log" "$LOG/slurmctld.log" ;;
    esac
    [ "$(date +%s)" -lt "$deadline" ] ||
        fail "timed out after ${TIMEOUT}s waiting for sacct to report job $jobid COMPLETED" \
            "$LOG/slurmctld.log" "$LOG/slurmd.log" "$LOG/slurmdbd.log"
    sleep 0.5
done
[ "$(cat "$STATE/smoke-$jobid.out")" = "$(hostname)" ] ||
    fail "smoke job $jobid printed '$(cat "$STATE/smoke-$jobid.out")', not '$(hostname)'"

say "cluster '$CLUSTER' is up: partition '$PARTITION' (default), node localhost with $ncpu CPUs," \
    "${real_mem} MB; account '$ACCOUNT'; smoke job $jobid COMPLETED"
if [ "$linked_conf" -eq 1 ]; then
    say "client commands use $SYS_CONF -> $ETC/slurm.conf"
else
    say "$SYS_CONF belongs to this machine: run '. $STATE/env.sh' before using the local cluster"
fi
