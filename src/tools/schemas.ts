// Schema pieces several tools share, so a parameter reads the same everywhere.
import * as v from "valibot";

/** A whole number in [min, max] whose messages name the parameter and the range. */
export const wholeNumber = (name: string, min: number, max: number, description: string) =>
  v.pipe(
    v.number(`${name} must be a number`),
    v.integer(`${name} must be a whole number`),
    v.minValue(min, `${name} must be at least ${min}`),
    v.maxValue(max, `${name} must be at most ${max}`),
    v.description(description),
  );

/** Every list answer: how many matched, how many came back, how many a limit left out. */
export const listEnvelope = <T extends v.GenericSchema>(item: T) =>
  v.object({
    total: v.pipe(v.number(), v.description("Entries matching the filters.")),
    returned: v.number(),
    more: v.pipe(v.number(), v.description("Matching entries left out by limit.")),
    items: v.array(item),
  });
