export { PriceCatalog, costOf, type ModelPrice, type TokenUsage, type PricedCost } from './price-catalog';
