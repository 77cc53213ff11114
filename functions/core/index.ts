// The pure policy engine: no AWS imports, no I/O. Adapters (the Lambda
// handler, the SSM store, the layer, the CLI) are built around it.
export * from './problems';
export * from './tokens';
export * from './origin';
export * from './route';
export * from './policy';
export * from './policy-set';
export * from './request';
export * from './preflight';
export * from './actual';
export * from './parameter-name';
