export declare const AGENT_VERSION: string;
export declare function unitNodeOptions(unitText?: string): string[];
export declare function packagedUnit(unitText?: string): string;
export declare function buildExecutable(
  output: string,
  options?: { node?: string },
): Promise<string>;
export declare function buildDeb(
  executable: string,
  outDir: string,
  options?: { version?: string; revision?: string },
): string;
export declare function buildRpm(
  executable: string,
  outDir: string,
  options?: { version?: string; release?: string; payload?: string },
): string;
export declare function packageAgent(options?: {
  outDir?: string;
  formats?: ("sea" | "deb" | "rpm")[];
  node?: string;
}): Promise<{ executable: string; deb?: string; rpm?: string }>;
