export * from "./terms";
export * from "./metadata";
