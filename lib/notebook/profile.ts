/**
 * Run profiles: one code path, three sizes. `quick` is CI's smoke run, `cpu`
 * (the default) the full recipe where two CPU cores can afford it, `full` every
 * source's recipe exactly, for machines with a fast backend.
 */
import { readSetting } from "../settings.ts";

export type ProfileName = "quick" | "cpu" | "full";

/** Every profile, smallest first. */
export const PROFILES: readonly ProfileName[] = ["quick", "cpu", "full"];

/** The profile named by `KD_PROFILE` (default `cpu`). */
export function profileName(): ProfileName {
  const raw = readSetting("KD_PROFILE") ?? "cpu";
  if (!(PROFILES as readonly string[]).includes(raw)) {
    throw new Error(`KD_PROFILE=${raw} is not a profile; use one of ${PROFILES.join(", ")}`);
  }
  return raw as ProfileName;
}

/** The value for the current profile; `full` falls back to `cpu` when not given. */
export function byProfile<T>(values: { quick: T; cpu: T; full?: T }, name = profileName()): T {
  return name === "full" ? values.full ?? values.cpu : values[name];
}
