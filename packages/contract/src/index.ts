export * from "./api.ts";
export * from "./report.ts";
export * from "./validate.ts";
