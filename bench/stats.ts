/** The bench's figures: rounded for the report, medians and percentiles of unsorted samples. */

export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

/** The `p`th percentile (nearest rank) of `values`, which it does not reorder; 0 of none. */
export const percentile = (values: number[], p: number): number =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? 0;

export const median = (values: number[]): number => percentile(values, 50);
