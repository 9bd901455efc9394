export declare const AGENT_ENTRY: string;
export declare function bundle(
  entry: string,
  outfile: string,
  options?: { external?: string[]; sourcemap?: boolean },
): Promise<string>;
