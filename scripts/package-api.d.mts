export declare function runtimePackages(): string[];
export declare function packageApi(options?: { outDir?: string }): Promise<string>;
