export * from './heartbeat';
export * from './slurm-commands';
export * from './slurm-job-script';
export * from './slurm-server';
