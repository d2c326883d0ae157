/** Everything the batch script of one server job needs. */
export interface JobScriptInput {
  /** Server key, for the script's comment and log lines. */
  key: string;
  executable: string;
  /** argv after the executable; the value after --port is replaced by the port the job picks on its node. */
  args: string[];
  /** Extra environment of the server (PYTHONPATH for a logits processor); never secrets. */
  env: Record<string, string>;
  /** The job writes {"host","port","node","gpus"} here (atomically) once the server was started. */
  endpointFile: string;
  /** The client touches this file; the job stops the server when it is older than staleAfterS. */
  heartbeatFile: string;
  staleAfterS: number;
  /** How often the job looks at the heartbeat and the server. */
  checkEveryS: number;
  /** SIGTERM → SIGKILL grace for the server's process group. */
  graceS: number;
  /** Where the server's output goes (sbatch --output): read for "Address already in use" before a retry. */
  logFile: string;
  /** Address the job probes to see the server listening (its bind address; 127.0.0.1 for a wildcard bind). */
  probeHost: string;
}

/** Single-quotes a word for bash. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The job's clock: it checks a few times per heartbeat timeout (every 1 to 10 s) and stops its server with the grace. */
export function jobTiming(staleAfterS: number, graceMs: number): Pick<JobScriptInput, 'staleAfterS' | 'checkEveryS' | 'graceS'> {
  return { staleAfterS, checkEveryS: Math.max(1, Math.min(10, Math.floor(staleAfterS / 4))), graceS: Math.max(1, Math.ceil(graceMs / 1000)) };
}

/**
 * Seconds from the heartbeat's last refresh until the job without client has ended (upper bound): the limit, one
 * check interval, the server's grace, 1 s for whole-second file times and 1 s for the script's own commands.
 */
export function selfCancelBoundS(i: Pick<JobScriptInput, 'staleAfterS' | 'checkEveryS' | 'graceS'>): number {
  return i.staleAfterS + i.checkEveryS + i.graceS + 2;
}

/**
 * The sbatch script that runs one model's `vllm serve` on the node Slurm picked: the same command line evalgraph
 * runs locally, on a free port of that node, in its own process group so a stop reaches the engine's children.
 * Once the server listens (vLLM binds its port before loading the model) it publishes host:port, then watches two things: the server (its exit ends the job with its code) and the
 * client's heartbeat file (a stale one means the client died without scancel: stop the server, end the job).
 * SIGTERM from scancel stops the server group with the same grace.
 */
export function jobScript(i: JobScriptInput): string {
  const args = [...i.args];
  const portAt = args.indexOf('--port');
  if (portAt < 0 || portAt + 1 >= args.length) throw new Error('internal: the vllm command line has no --port');
  const argv = [i.executable, ...args].map((a, n) => (n === portAt + 2 ? '"$PORT"' : shellQuote(a))).join(' ');
  const env = Object.entries(i.env)
    .filter(([k]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
    .map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  return `#!/bin/bash
# evalgraph: the vLLM server of ${i.key.replace(/\n/g, ' ')} as a Slurm job (written by evalgraph; docs/scale.md)
set -u
endpoint=${shellQuote(i.endpointFile)}
heartbeat=${shellQuote(i.heartbeatFile)}
log=${shellQuote(i.logFile)}
probe_host=${shellQuote(i.probeHost)}
stale=${i.staleAfterS}
check=${i.checkEveryS}
grace=${i.graceS}
say() { echo "# evalgraph job \${SLURM_JOB_ID:-?}: $*"; }
port_busy() { (exec 3<>"/dev/tcp/$probe_host/$1") 2>/dev/null; }
# A port the kernel just handed out (as evalgraph does locally); without python3, a random one nobody listens on.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])' 2>/dev/null && return 0
  for _ in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 12000 ))
    port_busy "$p" || { echo "$p"; return 0; }
  done
  return 1
}
# Whether the server's own process group listens on the port: the probe alone would also take another program that
# won the port for our server (ss names the owner; where it cannot, the probe is trusted).
ours_listening() {
  port_busy "$1" || return 1
  command -v ss >/dev/null 2>&1 || return 0
  local pids p
  pids=$(ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2)
  [ -n "$pids" ] || return 0
  for p in $pids; do
    [ "$(ps -o pgid= -p "$p" 2>/dev/null | tr -d ' ')" = "$srv" ] && return 0
  done
  return 1
}
heartbeat_age() { echo $(( $(date +%s) - $(stat -c %Y "$heartbeat" 2>/dev/null || echo 0) )); }
${env.join('\n')}
srv=
stop_server() {
  [ -n "$srv" ] || return 0
  kill -TERM -- "-$srv" 2>/dev/null || kill -TERM "$srv" 2>/dev/null
  for _ in $(seq 1 $(( grace * 10 ))); do
    kill -0 -- "-$srv" 2>/dev/null || return 0
    sleep 0.1
  done
  say "server group $srv still alive after \${grace} s; SIGKILL"
  kill -KILL -- "-$srv" 2>/dev/null
}
client_gone() {
  local age
  age=$(heartbeat_age)
  [ "$age" -gt "$stale" ] || return 1
  say "the client's heartbeat is $age s old (limit $stale s): the client is gone; stopping the server"
  stop_server
  exit 0
}
trap 'say "cancelled; stopping the server"; stop_server; exit 143' TERM INT HUP
# Another program may take the port between choosing and binding it: then start again on a new one (5 tries).
for attempt in 1 2 3 4 5; do
  PORT=$(free_port) || { say "no free port found on $(hostname)"; exit 1; }
  say "starting on $(hostname) port $PORT (GPUs: \${CUDA_VISIBLE_DEVICES:-none})"
  setsid ${argv} &
  srv=$!
  while kill -0 "$srv" 2>/dev/null && ! ours_listening "$PORT"; do
    client_gone
    sleep 0.2
  done
  # A server whose bind failed after all (the port went to another socket of its own) is gone a moment later.
  kill -0 "$srv" 2>/dev/null && sleep 1 && kill -0 "$srv" 2>/dev/null && break
  wait "$srv"
  rc=$?
  srv=
  if [ "$attempt" -lt 5 ] && tail -n 30 "$log" 2>/dev/null | grep -q 'Address already in use'; then
    say "port $PORT was taken before the server bound it; trying another"
    continue
  fi
  say "the server exited before listening (status $rc)"
  exit "$rc"
done
printf '{"host":"%s","port":%s,"node":"%s","gpus":"%s"}\\n' "$(hostname)" "$PORT" "\${SLURMD_NODENAME:-$(hostname)}" "\${CUDA_VISIBLE_DEVICES:-}" > "$endpoint.tmp" && mv "$endpoint.tmp" "$endpoint"
while kill -0 "$srv" 2>/dev/null; do
  client_gone
  sleep "$check" &
  wait $!
done
wait "$srv"
rc=$?
say "the server exited by itself (status $rc)"
exit "$rc"
`;
}
