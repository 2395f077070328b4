export * from "./governance";
