export declare function serviceSettings(text: string): Map<string, string[]>;
