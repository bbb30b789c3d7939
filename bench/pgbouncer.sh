# Sourced by the PostgreSQL benches: start_pgbouncer DIR PORT DB HOST UPSTREAM_PORT USER starts
# pgbouncer in session mode, trust auth, in front of that database, with its config, pid and log
# in DIR (world-writable: as root it runs as postgres); stop_pgbouncer DIR stops it.
start_pgbouncer() {
  local dir=$1 port=$2 db=$3 host=$4 upstream_port=$5 user=$6
  cat > "$dir/pgbouncer.ini" <<INI
[databases]
$db = host=$host port=$upstream_port dbname=$db user=$user
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
auth_type = trust
auth_file = $dir/users.txt
pool_mode = session
unix_socket_dir =
max_client_conn = 200
default_pool_size = 50
pidfile = $dir/pgbouncer.pid
logfile = $dir/pgbouncer.log
INI
  echo "\"$user\" \"\"" > "$dir/users.txt"
  chmod 644 "$dir/pgbouncer.ini" "$dir/users.txt"
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "pgbouncer -d $dir/pgbouncer.ini"; else pgbouncer -d "$dir/pgbouncer.ini"; fi
}

stop_pgbouncer() {
  [ -f "$1/pgbouncer.pid" ] && kill "$(cat "$1/pgbouncer.pid")" 2>/dev/null
  return 0
}
