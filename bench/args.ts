// Command-line flags of the benchmarks: `--name value` pairs and bare `--name` switches.

const args = process.argv.slice(2);

/** The value after `--name`, or `dflt` when the flag is absent. */
export function arg(name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
}

/** Whether `--name` was given. */
export function hasArg(name: string): boolean {
  return args.includes(`--${name}`);
}
