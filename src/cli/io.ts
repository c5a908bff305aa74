/** What a command may touch of the process: its output streams and environment (tests pass their own). */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** True when stderr is a terminal: then a progress bar is drawn there. */
  interactive?: boolean;
}
