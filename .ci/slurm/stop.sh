#!/usr/bin/env bash
# Stop the single-node SLURM cluster started by .ci/slurm/start.sh: every daemon by the PID that
# start.sh recorded in $LQCD_SLURM_DIR/pids (default /tmp/lqcd-slurm), in reverse start order:
# SIGTERM, wait up to LQCD_SLURM_STOP_WAIT seconds (default 20), then SIGKILL.
# Keeps the state directory (munge key, database, SLURM state), so the next start.sh is quick;
# pass --purge to delete it as well. Exits non-zero if a recorded daemon could not be stopped.
set -uo pipefail

STATE="${LQCD_SLURM_DIR:-/tmp/lqcd-slurm}"
WAIT="${LQCD_SLURM_STOP_WAIT:-20}"
PIDS="$STATE/pids"
purge=0
[ "${1:-}" = --purge ] && purge=1

say() { echo "[slurm-stop] $*"; }

# is_ours NAME PID: the PID is alive and still runs the daemon start.sh recorded
is_ours() {
    local comm
    kill -0 "$2" 2>/dev/null || return 1
    comm=$(cat "/proc/$2/comm" 2>/dev/null || true)
    case "$1" in
        mariadb) [[ "$comm" == mariadbd || "$comm" == mysqld ]] ;;
        *)       [[ "$comm" == "$1" ]] ;;
    esac
}

# Jobs still queued or running are cancelled first, while slurmctld and slurmd can still end
# them cleanly (a job step outlives slurmd otherwise).
export SLURM_CONF="$STATE/etc/slurm.conf"
if [ -s "$PIDS/slurmctld.pid" ] && is_ours slurmctld "$(cat "$PIDS/slurmctld.pid")" &&
   command -v squeue >/dev/null; then
    jobs=$(timeout 10 squeue -h -o %i 2>/dev/null | tr '\n' ' ')
    if [ -n "${jobs// /}" ]; then
        say "cancelling jobs: $jobs"
        # shellcheck disable=SC2086
        timeout 10 scancel $jobs 2>/dev/null
        deadline=$(( $(date +%s) + WAIT ))
        while [ -n "$(timeout 10 squeue -h -o %i 2>/dev/null)" ] && [ "$(date +%s)" -lt "$deadline" ]; do
            sleep 0.5
        done
    fi
fi

status=0
if [ -d "$PIDS" ]; then
    for name in slurmd slurmctld slurmdbd mariadb munged; do
        f="$PIDS/$name.pid"
        [ -s "$f" ] || continue
        pid=$(cat "$f")
        if ! is_ours "$name" "$pid"; then
            say "$name (pid $pid) is not running"
            rm -f "$f"
            continue
        fi
        say "stopping $name (pid $pid)"
        kill -TERM "$pid" 2>/dev/null
        deadline=$(( $(date +%s) + WAIT ))
        while is_ours "$name" "$pid" && [ "$(date +%s)" -lt "$deadline" ]; do
            sleep 0.2
        done
        if is_ours "$name" "$pid"; then
            say "$name (pid $pid) ignored SIGTERM for ${WAIT}s: sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null
            sleep 0.5
        fi
        if is_ours "$name" "$pid"; then
            say "ERROR: $name (pid $pid) is still running"
            status=1
        else
            rm -f "$f"
        fi
    done
else
    say "no PID directory at $PIDS: nothing to stop"
fi

# A job step (slurmstepd) that outlived slurmd (say, slurmd was killed by hand): slurmd's
# children inherit its environment, so ours carry SLURM_CONF=<this state dir>/etc/slurm.conf.
# End each of those together with the job processes under it, by PID.
descendants() { local c; for c in $(pgrep -P "$1" 2>/dev/null); do echo "$c"; descendants "$c"; done; }
for pid in $(pgrep -x slurmstepd 2>/dev/null); do
    if tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qxF "SLURM_CONF=$SLURM_CONF"; then
        tree="$pid $(descendants "$pid" | tr '\n' ' ')"
        say "ending leftover job step: slurmstepd (pid $pid) and its processes ($tree)"
        # shellcheck disable=SC2086
        kill -TERM $tree 2>/dev/null
        sleep 1
        # shellcheck disable=SC2086
        kill -KILL $tree 2>/dev/null
    fi
done

# the symlink /etc/slurm/slurm.conf -> our config goes too, if start.sh made it
if [ -s "$STATE/linked-conf" ]; then
    link=$(cat "$STATE/linked-conf")
    if [ -L "$link" ] && [ "$(readlink "$link")" = "$STATE/etc/slurm.conf" ]; then
        rm -f "$link"
    fi
    rm -f "$STATE/linked-conf"
fi

if [ "$purge" -eq 1 ] && [ "$status" -eq 0 ]; then
    say "removing $STATE"
    rm -rf "$STATE"
fi
[ "$status" -eq 0 ] && say "stopped"
exit "$status"
