t() { local s=$EPOCHREALTIME; "$@"; local rc=$?; echo "[$(( (${EPOCHREALTIME/./} - ${s/./}) / 1000 )) ms] $*"; return $rc; }
for i in 1 2 3; do t ip link show lo >/dev/null; done
t /bin/true; t /bin/true
t bash -c 'for i in $(seq 20); do /bin/true; done'
