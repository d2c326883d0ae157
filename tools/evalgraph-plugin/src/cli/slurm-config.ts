import { join } from 'node:path';

/** Where the local cluster keeps what it writes, all under one project-owned folder. */
export function clusterPaths(dir: string) {
  return {
    dir,
    conf: join(dir, 'slurm.conf'),
    gresConf: join(dir, 'gres.conf'),
    cgroupConf: join(dir, 'cgroup.conf'),
    state: join(dir, 'state'),
    spool: join(dir, 'spool'),
    log: join(dir, 'log'),
    run: join(dir, 'run'),
    gpus: join(dir, 'gpus'),
    munge: join(dir, 'munge'),
    mungeKey: join(dir, 'munge', 'munge.key'),
    mungeSocket: join(dir, 'munge', 'munge.socket'),
    mungePid: join(dir, 'run', 'munged.pid'),
    ctldPid: join(dir, 'run', 'slurmctld.pid'),
    slurmdPid: join(dir, 'run', 'slurmd.pid'),
    jobComp: join(dir, 'log', 'jobcomp.txt'),
  };
}
export type ClusterPaths = ReturnType<typeof clusterPaths>;

/** What the local cluster is made of. */
export interface ClusterSpec {
  /** The node's name: this machine's short host name (slurmd and slurmctld check it). */
  host: string;
  gpus: number;
  ctldPort: number;
  slurmdPort: number;
}

/**
 * slurm.conf of a one-node cluster on this machine: one partition, N GPUs as gres, process tracking without
 * cgroups (containers rarely let slurmd manage them), a short KillWait so scancel ends a job in seconds, and a
 * job-completion log so `sacct --completion` answers without slurmdbd.
 */
export function slurmConf(p: ClusterPaths, s: ClusterSpec): string {
  // Jobs ask for one CPU each by default; declaring a few per GPU keeps CPUs from limiting the servers on a small box.
  const cpus = Math.max(4, s.gpus * 4);
  return `# evalgraph local one-node Slurm (npx evalgraph slurm up); generated, do not edit
ClusterName=evalgraph
SlurmctldHost=${s.host}(127.0.0.1)
SlurmctldPort=${s.ctldPort}
SlurmdPort=${s.slurmdPort}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${p.mungeSocket}
StateSaveLocation=${p.state}
SlurmdSpoolDir=${p.spool}
SlurmctldPidFile=${p.ctldPid}
SlurmdPidFile=${p.slurmdPid}
SlurmctldLogFile=${join(p.log, 'slurmctld.log')}
SlurmdLogFile=${join(p.log, 'slurmd.log')}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
GresTypes=gpu
MpiDefault=none
ReturnToService=2
KillWait=5
MinJobAge=3600
InactiveLimit=0
SlurmdTimeout=60
JobCompType=jobcomp/filetxt
JobCompLoc=${p.jobComp}
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmdParameters=config_overrides
NodeName=${s.host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=1024 Gres=gpu:${s.gpus} State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
`;
}

/** gres.conf: each fake GPU is a path Slurm hands out (a device node or a plain file; nothing opens it). */
export function gresConf(p: ClusterPaths, s: ClusterSpec): string {
  const files = Array.from({ length: s.gpus }, (_, i) => `NodeName=${s.host} Name=gpu File=${join(p.gpus, `gpu${i}`)}`);
  return `# evalgraph local one-node Slurm: ${s.gpus} fake GPU(s)\nAutoDetect=off\n${files.join('\n')}\n`;
}
