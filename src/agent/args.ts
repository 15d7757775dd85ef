import { parseArgs as parseNodeArgs } from 'node:util';

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

/**
 * The command line through node:util's parseArgs (strict: unknown options and missing values are
 * errors), with its error codes turned into short usage errors that name the option.
 */
export function parseArgs(argv: string[], spec: ArgSpec): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const f of spec.flags) options[f] = { type: 'boolean', ...(f === 'help' ? { short: 'h' } : {}) };
  for (const v of spec.values) options[v] = { type: 'string', ...(spec.repeatable?.includes(v) ? { multiple: true } : {}) };
  let parsed: { values: Record<string, string | boolean | Array<string | boolean> | undefined>; positionals: string[] };
  try {
    parsed = parseNodeArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(usageMessage(err as Error & { code?: string }));
  }
  const opts: ParsedArgs['opts'] = {};
  for (const [k, v] of Object.entries(parsed.values)) if (v !== undefined) opts[k] = Array.isArray(v) ? v.map(String) : v;
  const positional = [...parsed.positionals];
  return { command: positional.shift(), positional, opts };
}

function usageMessage(err: Error & { code?: string }): string {
  const option = /'(-{1,2}[^' ]+)/.exec(err.message)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? ''}`.trim();
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /argument missing/.test(err.message) ? `${option ?? 'an option'} needs a value` : `${option ?? 'an option'} takes no value`;
    default:
      return err.message.split('\n')[0]!;
  }
}
