export * from "./api.ts";
export * from "./canonical.ts";
export * from "./operations.ts";
export * from "./policy.ts";
export * from "./policy-validate.ts";
export * from "./report.ts";
export * from "./routes.ts";
export * from "./validate.ts";
