export * from './item';
export * from './layout';
export * from './filter-pattern';
export * from './message';
export * from './environment';
export * from './outputs';
export * from './metrics';
