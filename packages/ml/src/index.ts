// Public API of @lakebox/ml. Each area keeps its own index.ts and is re-exported here.
export {};
