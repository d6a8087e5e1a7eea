/** The answer of exercise 01-temperature-quiz. */
import type { TemperatureChoice } from "./mod.ts";

export const solution = (): TemperatureChoice | undefined => "flatter";
