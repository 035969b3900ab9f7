// Moved to client/cli/output.ts; kept so code that still imports the old path (the demo) builds.
export * from './cli/output';
