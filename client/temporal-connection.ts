// Moved to client/connection/; kept so code that still imports the old path (the demo) builds.
export { connectClient, withClient, resolveTemporalTarget, type TemporalTarget } from './connection/temporal-connection';
