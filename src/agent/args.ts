/** A command line that does not fit the command. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ArgSpec {
  /** Options without a value (--json). */
  flags: string[];
  /** Options with a value (--tempo 1.5 or --tempo=1.5). */
  values: string[];
  /** Value options that may repeat (collected into an array). */
  repeatable?: string[];
}

export interface ParsedArgs {
  command: string | undefined;
  positional: string[];
  opts: Record<string, string | string[] | boolean>;
}

export function parseArgs(argv: string[], spec: ArgSpec): ParsedArgs {
  const opts: ParsedArgs['opts'] = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h') {
      opts.help = true;
      continue;
    }
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (spec.flags.includes(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      opts[name] = true;
    } else if (spec.values.includes(name)) {
      const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      if (spec.repeatable?.includes(name)) opts[name] = [...((opts[name] as string[] | undefined) ?? []), v];
      else opts[name] = v;
    } else throw new UsageError(`unknown option --${name}`);
  }
  return { command: positional.shift(), positional, opts };
}
