export * from "./api.ts";
export * from "./policy.ts";
export * from "./policy-validate.ts";
export * from "./report.ts";
export * from "./validate.ts";
