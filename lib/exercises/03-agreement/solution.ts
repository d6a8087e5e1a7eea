/** A solution of exercise 03-agreement: the fraction of positions where the classes agree. */
import { accuracyOf } from "../../distill/evaluate.ts";
import type { AgreementFn } from "./mod.ts";

export const solution = (): AgreementFn => (teacherPred, studentPred) =>
  accuracyOf(studentPred, teacherPred);
