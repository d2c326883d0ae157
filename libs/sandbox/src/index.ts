export { createSandbox, type Sandbox } from './sandbox';
export { checkSandboxAvailable, findSandboxTools, INSTALL_BWRAP_FIX, type SandboxEnvironment, type AvailabilityOptions } from './available';
export { SandboxOptions, SandboxLimits, RunOptions, RunResult, RunStatus } from './options';
export { PROGRAM_PATH, CHANNEL_FD } from './bwrap-args';
export { liveSandboxProcesses } from './reaper';
