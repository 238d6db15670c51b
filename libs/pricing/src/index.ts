export type { ModelPrice, TokenUsage, PricedCost } from './price';
export { costOf, estimateMaxCost, type CostOptions, type CostEstimate, type CostEstimateInput } from './cost';
export { PriceCatalog, modelNameCandidates } from './price-catalog';
export { defaultPriceCatalog, catalogFromFile, PriceCatalogFileSchema, type PriceCatalogFile } from './default-catalog';
export { PRICE_PATTERN, normaliseDecimal, sumUsd, differsBeyond } from './money';
